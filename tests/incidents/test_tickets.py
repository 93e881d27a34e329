"""Incidents and requests: declaring (with photos), "me too", who sees what, the
workflow through the views, comments and internal notes, merge, rating, queries."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from copro.lib import sms
from incidents import services
from incidents.models import Category, Comment, Kind, Photo, Ticket, Transition
from incidents.workflow import Actor, Status
from notifications.models import Notification
from residents.models import Category as NotificationCategory
from residents.models import CommunicationPreference

from ..conftest import MATRIX_ARGS, login, matrix_cells

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def jpeg(size=(400, 300)) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8825)[2] = (45.0, 45.0, 30.0)
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 200)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def declare(world, persona="tenant", kind=Kind.INCIDENT, **data):
    defaults = {
        "category": Category.WATER if kind == Kind.INCIDENT else Category.PAYMENTS,
        "title": "Fuite au 3e",
    }
    return services.ticket_declare(
        residence=world.home,
        reporter=world.user(persona),
        kind=kind,
        **{**defaults, **data},
    )


def move(world, ticket, to, persona="manager", actors=(Actor.SYNDIC,)):
    return services.ticket_move(
        ticket=ticket, by=world.user(persona), actors=set(actors), to_status=to
    )


# anonymous outsider tenant owner council president staff manager other_staff
READ = [302, 404, 200, 200, 200, 200, 200, 200, 404]
FOLLOW = [302, 404, 403, 403, 200, 200, 200, 200, 404]
POST_OK = [302, 404, 302, 302, 302, 302, 302, 302, 404]
HANDLE_POST = [302, 404, 403, 403, 403, 403, 302, 302, 404]
FOLLOW_POST = [302, 404, 403, 403, 302, 302, 302, 302, 404]
# The tenant reported it: on a new ticket only the syndic may move it.
MOVE_POST = [302, 404, 403, 403, 403, 403, 302, 302, 404]


def _slug(w, t):
    return [w.home.slug]


def _ticket(w, t):
    return [w.home.slug, t.pk]


VIEWS = [
    ("incidents:list", "get", _slug, READ),
    ("incidents:queue", "get", _slug, FOLLOW),
    ("incidents:new", "get", _slug, READ),
    ("incidents:new", "post", _slug, POST_OK),
    ("incidents:new_request", "get", _slug, READ),
    ("incidents:similar", "get", _slug, READ),
    ("incidents:detail", "get", _ticket, READ),
    ("incidents:comment", "post", _ticket, POST_OK),
    ("incidents:move", "post", _ticket, MOVE_POST),
    ("incidents:priority", "post", _ticket, HANDLE_POST),
    ("incidents:merge", "post", _ticket, FOLLOW_POST),
    # Members may try; the service refuses what is not theirs, with a message.
    ("incidents:confirm", "post", _ticket, POST_OK),
    ("incidents:rate", "post", _ticket, POST_OK),
    (
        "incidents:photo",
        "get",
        lambda w, t: [w.home.slug, t.pk, t.photos.get().pk],
        READ,
    ),
    (
        "incidents:thumbnail",
        "get",
        lambda w, t: [w.home.slug, t.pk, t.photos.get().pk],
        READ,
    ),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected, _media):
    from copro.lib.uploads import clean_image

    photo = clean_image(SimpleUploadedFile("fuite.jpg", jpeg()))
    ticket = declare(world, photos=[photo])
    other = declare(world, title="Même fuite")
    client = as_persona(persona)
    data = {
        "category": Category.LIFT,
        "title": "Ascenseur bloqué",
        "urgency": "normal",
        "body": "Vu aussi",
        "to_status": Status.ACKNOWLEDGED,
        "priority": "1",
        "into": other.pk,
    }
    response = getattr(client, method)(reverse(name, args=args(world, ticket)), data)
    assert response.status_code == expected
    if method == "post" and expected != 302:
        ticket.refresh_from_db()
        assert ticket.status == Status.NEW and ticket.priority is None
        assert ticket.merged_into is None
        assert ticket.confirmation_count == 0 and ticket.rating is None
        assert Ticket.objects.count() == 2
        assert not Comment.objects.exists() and not Transition.objects.exists()


def test_requests_are_seen_by_their_author_the_council_and_the_syndic(
    world, as_persona
):
    public = declare(world, kind=Kind.REQUEST, title="Question de charges")
    private = declare(world, kind=Kind.REQUEST, title="Litige", private=True)
    seen = {}
    for persona in ("tenant", "owner", "council", "staff"):
        client = as_persona(persona)
        seen[persona] = {
            t.pk
            for t in (public, private)
            if client.get(t.get_absolute_url()).status_code == 200
        }
    assert seen["tenant"] == {public.pk, private.pk}  # the author
    assert seen["owner"] == set()
    assert seen["council"] == {public.pk}  # not the private one
    assert seen["staff"] == {public.pk, private.pk}


def test_declaring_with_photos_from_a_phone(world, client, _media):
    login(client, world.user("tenant"))
    response = client.post(
        reverse("incidents:new", args=[world.home.slug]),
        {
            "category": Category.WATER,
            "title": "Fuite dans le local poubelles",
            "location": "Bât. A, sous-sol",
            "description": "L'eau coule du plafond.",
            "urgency": "urgent",
            "photos": [
                SimpleUploadedFile("fuite.jpg", jpeg()),
                SimpleUploadedFile("plafond.jpg", jpeg((300, 600))),
            ],
        },
    )
    ticket = Ticket.objects.get()
    assert response.url == ticket.get_absolute_url()
    assert ticket.urgency == "urgent" and ticket.reporter == world.user("tenant")
    photo = Photo.objects.first()
    assert not Image.open(photo.image.path).getexif()  # GPS gone
    assert Photo.objects.count() == 2
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert (
        reverse("incidents:thumbnail", args=[world.home.slug, ticket.pk, photo.pk])
        in page
    )


def test_a_bad_photo_refuses_the_declaration_and_keeps_what_was_typed(
    world, client, _media
):
    login(client, world.user("tenant"))
    response = client.post(
        reverse("incidents:new", args=[world.home.slug]),
        {
            "category": Category.WATER,
            "title": "Fuite",
            "urgency": "normal",
            "photos": [
                SimpleUploadedFile("ok.jpg", jpeg()),
                SimpleUploadedFile("virus.jpg", b"MZ not an image"),
            ],
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "virus.jpg" in page and 'value="Fuite"' in page
    assert not Ticket.objects.exists()
    assert [p for p in _media.rglob("*") if p.is_file()] == []


def test_the_form_shows_open_incidents_of_the_same_category(world, client):
    declare(world, title="Fuite au 3e")
    declare(world, title="Ascenseur en panne", category=Category.LIFT)
    login(client, world.user("owner"))
    url = reverse("incidents:similar", args=[world.home.slug])
    page = client.get(url, {"category": Category.WATER}).content.decode()
    assert "Fuite au 3e" in page and "Ascenseur" not in page
    form = client.get(
        reverse("incidents:new", args=[world.home.slug]), {"category": Category.LIFT}
    )
    assert [t.title for t in form.context["similar"]] == ["Ascenseur en panne"]


def test_me_too_counts_once_per_person_and_notifies_on_change(
    world, client, django_capture_on_commit_callbacks
):
    ticket = declare(world)
    login(client, world.user("owner"))
    url = reverse("incidents:confirm", args=[world.home.slug, ticket.pk])
    client.post(url)
    client.post(url)  # a double click
    ticket.refresh_from_db()
    assert ticket.confirmation_count == 1
    login(client, world.user("tenant"))
    client.post(url)  # the reporter cannot confirm their own
    ticket.refresh_from_db()
    assert ticket.confirmation_count == 1
    with django_capture_on_commit_callbacks(execute=True):
        move(world, ticket, Status.ACKNOWLEDGED)
    notified = set(
        Notification.objects.filter(
            category=NotificationCategory.INCIDENTS
        ).values_list("recipient", flat=True)
    )
    assert notified == {world.user("tenant").pk, world.user("owner").pk}


def test_the_full_life_of_an_urgent_leak(
    world, client, django_capture_on_commit_callbacks
):
    tenant = world.user("tenant")
    tenant.phone, tenant.phone_verified = "+33612345678", True
    tenant.save()
    CommunicationPreference.objects.create(
        user=tenant, category=NotificationCategory.INCIDENTS, sms=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket = declare(world, urgency="urgent")
    # The syndic's staff and the council hear of it.
    new = set(Notification.objects.values_list("recipient", flat=True))
    assert new == {
        world.user(p).pk for p in ("council", "president", "staff", "manager")
    }

    login(client, world.user("manager"))
    detail = client.get(ticket.get_absolute_url())
    assert [c[0] for c in detail.context["move_form"].fields["to_status"].choices] == [
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.REJECTED,
    ]
    for target in (Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("incidents:move", args=[world.home.slug, ticket.pk]),
                {"to_status": target, "comment": f"→ {target}"},
            )
        assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert list(ticket.transitions.values_list("to_status", flat=True)) == [
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
    ]
    assert Notification.objects.filter(recipient=tenant).count() == 3
    assert len(sms.outbox) == 3  # urgent: the tenant asked for SMS

    # An illegal move is refused and changes nothing.
    response = client.post(
        reverse("incidents:move", args=[world.home.slug, ticket.pk]),
        {"to_status": Status.WAITING_PROVIDER},
        follow=True,
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.transitions.count() == 3

    # The reporter closes it and rates the handling.
    login(client, tenant)
    client.post(
        reverse("incidents:move", args=[world.home.slug, ticket.pk]),
        {"to_status": Status.CLOSED},
    )
    client.post(
        reverse("incidents:rate", args=[world.home.slug, ticket.pk]),
        {"rating": "4", "comment": "Rapide"},
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.rating, ticket.rating_comment) == (
        Status.CLOSED,
        4,
        "Rapide",
    )


def test_only_the_reporter_rates_and_only_when_resolved(world, client):
    ticket = declare(world)
    login(client, world.user("tenant"))
    url = reverse("incidents:rate", args=[world.home.slug, ticket.pk])
    client.post(url, {"rating": "5"})  # not resolved yet
    ticket.refresh_from_db()
    assert ticket.rating is None
    move(world, ticket, Status.ACKNOWLEDGED)
    move(world, ticket, Status.RESOLVED)
    login(client, world.user("owner"))
    client.post(url, {"rating": "1"})
    ticket.refresh_from_db()
    assert ticket.rating is None


def test_an_unknown_priority_is_refused_with_a_message(world, client, english):
    ticket = declare(world)
    login(client, world.user("manager"))
    url = reverse("incidents:priority", args=[world.home.slug, ticket.pk])
    response = client.post(url, {"priority": "9"}, follow=True)
    assert "Choose a priority." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.priority is None
    client.post(url, {"priority": "1"})
    ticket.refresh_from_db()
    assert ticket.priority == 1


def test_move_refuses_what_the_workflow_does_not_allow(world):
    from django.core.exceptions import ValidationError

    ticket = declare(world)
    with pytest.raises(ValidationError):
        move(world, ticket, Status.CLOSED)
    with pytest.raises(ValidationError):  # the reporter cannot acknowledge
        move(world, ticket, Status.ACKNOWLEDGED, "tenant", (Actor.REPORTER,))
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and not ticket.transitions.exists()


def test_internal_notes_stay_with_the_council_and_the_syndic(world, client):
    ticket = declare(world)
    login(client, world.user("council"))
    client.post(
        reverse("incidents:comment", args=[world.home.slug, ticket.pk]),
        {"body": "Même problème l'an dernier", "internal": "on"},
    )
    client.post(
        reverse("incidents:comment", args=[world.home.slug, ticket.pk]),
        {"body": "Le syndic est prévenu"},
    )
    bodies = {}
    for persona in ("tenant", "owner", "council", "staff"):
        login(client, world.user(persona))
        response = client.get(ticket.get_absolute_url())
        bodies[persona] = [c.body for c in response.context["comments"]]
    assert bodies["tenant"] == bodies["owner"] == ["Le syndic est prévenu"]
    assert len(bodies["council"]) == len(bodies["staff"]) == 2
    # A resident cannot write an internal note.
    login(client, world.user("owner"))
    response = client.post(
        reverse("incidents:comment", args=[world.home.slug, ticket.pk]),
        {"body": "secret", "internal": "on"},
    )
    assert response.status_code == 403
    assert not Comment.objects.filter(body="secret").exists()


def test_merging_a_duplicate(world, client):
    first = declare(world, title="Fuite au 3e")
    second = declare(world, persona="owner", title="Eau dans l'escalier")
    login(client, world.user("council"))
    client.post(
        reverse("incidents:merge", args=[world.home.slug, second.pk]),
        {"into": first.pk},
    )
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.merged_into == first and second.status == Status.CLOSED
    assert first.confirmation_count == 1  # the duplicate's reporter follows it now
    listed = client.get(reverse("incidents:list", args=[world.home.slug]))
    assert [t.pk for t in listed.context["page"]] == [first.pk]


def test_lists_sort_by_criticality_then_age(world, client):
    old = declare(world, title="Ancien")
    urgent = declare(world, title="Urgent", urgency="urgent")
    p1 = declare(world, title="P1")
    services.ticket_set_priority(ticket=p1, priority=1)
    login(client, world.user("staff"))
    response = client.get(reverse("incidents:queue", args=[world.home.slug]))
    assert [t.title for t in response.context["page"]] == ["P1", "Urgent", "Ancien"]
    assert old.pk and urgent.pk


def test_overdue_when_a_p1_has_not_moved(world, client, settings):
    settings.COPRO_TICKET_OVERDUE_HOURS = 0
    ticket = declare(world)
    services.ticket_set_priority(ticket=ticket, priority=1)
    login(client, world.user("staff"))
    response = client.get(reverse("incidents:queue", args=[world.home.slug]))
    assert response.context["page"][0].overdue
    assert (
        "En retard" in response.content.decode()
        or "Overdue" in response.content.decode()
    )


@pytest.mark.parametrize("rows", [1, 25])
def test_list_and_queue_queries_stay_constant(
    world, client, rows, django_assert_max_num_queries
):
    for n in range(rows):
        declare(world, title=f"Incident {n}", persona="owner" if n % 2 else "tenant")
        declare(world, kind=Kind.REQUEST, title=f"Demande {n}")
    login(client, world.user("staff"))
    client.get(reverse("incidents:list", args=[world.home.slug]))
    # session, user, staff MFA check, standing, count, page (with residence and
    # reporter), badge, switcher
    with django_assert_max_num_queries(8):
        client.get(reverse("incidents:list", args=[world.home.slug]))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("incidents:queue", args=[world.home.slug]))
    assert len(response.context["page"]) == min(2 * rows, 25)


def test_detail_queries_stay_constant(world, client, django_assert_max_num_queries):
    ticket = declare(world)
    for n in range(20):
        services.ticket_comment(ticket=ticket, author=world.user("owner"), body=f"c{n}")
    move(world, ticket, Status.ACKNOWLEDGED)
    login(client, world.user("staff"))
    client.get(ticket.get_absolute_url())
    # session, user, staff MFA check, standing, ticket, photos, transitions,
    # comments, confirmed?, quote requests, interventions, badge, switcher
    with django_assert_max_num_queries(13):
        client.get(ticket.get_absolute_url())
