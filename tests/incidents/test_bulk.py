"""Bulk status changes on the queue: syndic only, each ticket checked against the
workflow on its own, refusals reported with their reason, nothing else touched."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from incidents import bulk
from incidents.models import Kind, Ticket, Transition
from incidents.workflow import Status
from notifications.models import Notification
from residents.access import standing

from ..conftest import MATRIX_ARGS, login, matrix_cells
from .test_tickets import declare, move

pytestmark = pytest.mark.django_db

# anonymous outsider tenant owner council president staff manager other_staff
BULK_POST = [302, 404, 403, 403, 403, 403, 302, 302, 404]
BULK_GET = [302, 404, 403, 403, 403, 403, 405, 405, 404]


def _slug(w):
    return [w.home.slug]


VIEWS = [
    ("incidents:queue_bulk", "post", _slug, BULK_POST),
    ("incidents:queue_bulk", "get", _slug, BULK_GET),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    first, second = declare(world), declare(world, title="Ascenseur")
    client = as_persona(persona)
    data = {
        "tickets": [first.pk, second.pk],
        "to_status": Status.ACKNOWLEDGED,
        "comment": "Vu",
    }
    response = getattr(client, method)(reverse(name, args=args(world)), data)
    assert response.status_code == expected
    moved = method == "post" and expected == 302 and persona in ("staff", "manager")
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.status == (Status.ACKNOWLEDGED if moved else Status.NEW)
    assert Transition.objects.count() == (2 if moved else 0)


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def test_a_mix_of_allowed_and_refused_moves(
    world, client, django_capture_on_commit_callbacks
):
    new = declare(world, title="Fuite")
    acknowledged = declare(world, title="Ascenseur")
    move(world, acknowledged, Status.ACKNOWLEDGED)
    closed = declare(world, title="Porte")
    for target in (Status.ACKNOWLEDGED, Status.RESOLVED, Status.CLOSED):
        move(world, closed, target)
    elsewhere = Ticket.objects.create(
        residence=world.other, kind=Kind.INCIDENT, category="lift", title="Ailleurs"
    )
    before = Transition.objects.count()
    login(client, world.user("manager"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("incidents:queue_bulk", args=[world.home.slug]),
            {
                "tickets": [new.pk, acknowledged.pk, closed.pk, elsewhere.pk],
                "to_status": Status.IN_PROGRESS,
                "comment": "Entreprise missionnée",
                "query": "status=open&category=water&page=2&next=https://evil.example",
            },
        )
    assert response.url == (
        reverse("incidents:queue", args=[world.home.slug])
        + "?status=open&category=water&page=2"
    )
    for ticket in (new, acknowledged, closed, elsewhere):
        ticket.refresh_from_db()
    assert new.status == acknowledged.status == Status.IN_PROGRESS
    assert closed.status == Status.CLOSED and elsewhere.status == Status.NEW
    added = Transition.objects.order_by("pk")[before:]
    assert [(t.ticket_id, t.to_status, t.comment) for t in added] == [
        (new.pk, Status.IN_PROGRESS, "Entreprise missionnée"),
        (acknowledged.pk, Status.IN_PROGRESS, "Entreprise missionnée"),
    ]
    levels = [level for level, _text in _messages(response)]
    texts = [text for _level, text in _messages(response)]
    assert levels == ["success", "error", "error"]
    assert texts[0].startswith("2 ")
    assert f"{closed.pk}" in texts[1] and "Porte" in texts[1]
    assert f"{elsewhere.pk}" in texts[2] and "Ailleurs" not in texts[2]
    # the reporter heard of each move, and of nothing refused
    notified = Notification.objects.filter(recipient=world.user("tenant"))
    assert sorted(n.url for n in notified) == sorted(
        [new.get_absolute_url(), acknowledged.get_absolute_url()]
    )


def test_moves_are_not_all_or_nothing(world):
    """A refused move in the middle leaves the ones before and after it done."""
    first, middle, last = (declare(world, title=t) for t in ("a", "b", "c"))
    move(world, middle, Status.REJECTED)
    result = bulk.tickets_move_many(
        standing=standing(world.user("staff"), world.home.slug),
        by=world.user("staff"),
        ticket_ids=[first.pk, middle.pk, last.pk],
        to_status=Status.ACKNOWLEDGED,
    )
    assert [t.pk for t in result.moved] == [first.pk, last.pk]
    assert [(t.pk, bool(reason)) for t, reason in result.refused] == [(middle.pk, True)]
    assert Ticket.objects.filter(status=Status.ACKNOWLEDGED).count() == 2


def test_the_service_refuses_the_council(world):
    ticket = declare(world)
    with pytest.raises(PermissionDenied):
        bulk.tickets_move_many(
            standing=standing(world.user("council"), world.home.slug),
            by=world.user("council"),
            ticket_ids=[ticket.pk],
            to_status=Status.ACKNOWLEDGED,
        )
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"to_status": Status.ACKNOWLEDGED}, "Select at least one"),
        ({"tickets": ["x"], "to_status": Status.ACKNOWLEDGED}, "from the list"),
        ({"tickets": ["1"], "to_status": "nowhere"}, "valid choice"),
    ],
)
def test_bad_input_changes_nothing(world, client, data, message):
    ticket = declare(world)
    user = world.user("staff")
    user.language = "en"
    user.save(update_fields=["language"])
    login(client, user)
    response = client.post(
        reverse("incidents:queue_bulk", args=[world.home.slug]), data
    )
    assert response.status_code == 302
    assert any(message in text for _level, text in _messages(response))
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and not Transition.objects.exists()


def test_too_many_at_once(world, client):
    login(client, world.user("staff"))
    response = client.post(
        reverse("incidents:queue_bulk", args=[world.home.slug]),
        {"tickets": list(range(1, bulk.MAX_TICKETS + 2)), "to_status": "resolved"},
    )
    assert response.status_code == 302
    assert [level for level, _text in _messages(response)] == ["error"]


def test_the_queue_shows_checkboxes_to_the_syndic_only(world, client):
    ticket = declare(world)
    url = reverse("incidents:queue", args=[world.home.slug])
    bulk_url = reverse("incidents:queue_bulk", args=[world.home.slug])
    login(client, world.user("staff"))
    page = client.get(url, {"category": "water"}).content.decode()
    assert f'action="{bulk_url}"' in page
    assert f'name="tickets" value="{ticket.pk}" id="bulk-{ticket.pk}"' in page
    assert f'<label for="bulk-{ticket.pk}">' in page
    assert 'name="query" value="category=water"' in page
    login(client, world.user("council"))
    page = client.get(url).content.decode()
    assert bulk_url not in page and 'name="tickets"' not in page
    assert ticket.title in page


@pytest.mark.parametrize("rows", [1, 30])
def test_queue_queries_stay_constant_with_the_bulk_form(
    world, client, rows, django_assert_max_num_queries
):
    for n in range(rows):
        declare(world, title=f"Incident {n}")
    login(client, world.user("manager"))
    url = reverse("incidents:queue", args=[world.home.slug])
    client.get(url)
    # session, user, staff MFA check, standing, count, page, badge, switcher
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.content.decode().count('name="tickets"') == min(rows, 25)
