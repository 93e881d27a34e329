"""The dashboard: each role sees its widgets, and the council/syndic their own view."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from copro.dashboard import recent_activity
from life import services as life_services
from life.models import Audience, EventKind
from residents import services
from residents.access import standing
from residents.models import MembershipStatus, Role

from ..conftest import login
from ..factories import make_member

pytestmark = pytest.mark.django_db


def _url(world):
    return reverse("residents:dashboard", args=[world.home.slug])


def _assembly(world, days=30, **kw):
    start = timezone.now() + timedelta(days=days)
    return life_services.event_save(
        residence=world.home,
        by=world.user("manager"),
        kind=EventKind.ASSEMBLY,
        title=kw.pop("title", "AG annuelle"),
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        place="Salle des fêtes",
        **kw,
    )


def test_the_next_general_assembly_is_highlighted(world, client):
    _assembly(world, days=60, title="AG extraordinaire")
    _assembly(world, days=20)
    login(client, world.user("tenant"))
    response = client.get(_url(world))
    assert response.context["next_assembly"].title == "AG annuelle"
    assert "Salle des fêtes" in response.content.decode()


@pytest.mark.parametrize("persona", ["tenant", "owner"])
def test_residents_get_no_management_widgets(world, client, persona):
    make_member(world.home, Role.OWNER, status=MembershipStatus.PENDING)
    login(client, world.user(persona))
    response = client.get(_url(world))
    assert response.context["pending_count"] is None
    assert "activity" not in response.context
    assert "pending" not in response.context


@pytest.mark.parametrize("persona", ["council", "president", "staff", "manager"])
def test_council_and_syndic_see_requests_and_recent_activity(world, client, persona):
    pending = make_member(world.home, Role.OWNER, status=MembershipStatus.PENDING)
    life_services.announcement_publish(
        residence=world.home,
        author=world.user("manager"),
        title="Coupure d'eau",
        body="Mardi",
        audience=Audience.COUNCIL,
    )
    person = world.user(persona)
    person.language = "en"
    person.save(update_fields=["language"])
    login(client, person)
    response = client.get(_url(world))
    assert [m.pk for m in response.context["pending"]] == [pending.pk]
    page = response.content.decode()
    assert reverse("residents:membership", args=[world.home.slug, pending.pk]) in page
    texts = [entry.text for entry in response.context["activity"]]
    assert texts == ["Announcement: Coupure d'eau", f"{pending.user} asked to join."]


def test_activity_follows_decisions_newest_first(world):
    pending = make_member(world.home, Role.OWNER, status=MembershipStatus.PENDING)
    services.membership_accept(
        membership=pending, decided_by=world.user("council"), role=Role.OWNER, lots=[]
    )
    blocked = make_member(world.home, Role.TENANT, status=MembershipStatus.PENDING)
    services.membership_block(membership=blocked, decided_by=world.user("council"))
    found = standing(world.user("council"), world.home.slug)
    with translation.override("en"):
        texts = [entry.text for entry in recent_activity(found)]
    assert texts == [
        f"{blocked.user} was blocked.",
        f"{pending.user} is a member (Co-owner).",
    ]


def test_scheduled_announcements_are_not_activity_yet(world):
    life_services.announcement_publish(
        residence=world.home,
        author=world.user("manager"),
        title="Plus tard",
        body="…",
        publish_at=timezone.now() + timedelta(days=2),
    )
    found = standing(world.user("council"), world.home.slug)
    assert all("Plus tard" not in entry.text for entry in recent_activity(found))


@pytest.mark.parametrize("rows", [1, 25])
def test_council_dashboard_queries_stay_constant(
    world, client, rows, django_assert_max_num_queries
):
    for n in range(rows):
        make_member(world.home, Role.OWNER, status=MembershipStatus.PENDING)
        life_services.announcement_publish(
            residence=world.home, author=world.user("manager"), title=f"n{n}", body="x"
        )
        _assembly(world, days=10 + n)
    login(client, world.user("council"))
    client.get(_url(world))  # the first visit also writes the session
    # session, user, standing, membership + lots + shares, 3 counts, switcher, unread,
    # announcements, events, next AG, works, photos, my tickets, urgent incidents,
    # pending requests (+ their count when 5 or more), activity: waiting requests,
    # decisions, announcements, works updates, photos, tickets; contracts to renew;
    # documents to sign; my charges (account, balance, next call)
    with django_assert_max_num_queries(32):
        response = client.get(_url(world))
    assert len(response.context["activity"]) == min(10, 2 * rows)
