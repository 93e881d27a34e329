"""The calendar: who sees which events, month and list views, the private iCal feed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from life import services
from life.models import CalendarFeed, Event, EventKind
from residents.models import Membership, MembershipStatus

from ..conftest import MATRIX_ARGS, login, matrix_cells

pytestmark = pytest.mark.django_db


def _event(
    world, kind=EventKind.MAINTENANCE, title="Entretien ascenseur", days=3, **kw
):
    start = timezone.now().replace(microsecond=0) + timedelta(days=days)
    return services.event_save(
        residence=world.home,
        by=world.user("manager"),
        kind=kind,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place=kw.pop("place", "Hall A"),
        **kw,
    )


READ = [302, 404, 200, 200, 200, 200, 200, 200, 404]
MANAGE = [302, 404, 403, 403, 200, 200, 200, 200, 404]
MANAGE_POST = [302, 404, 403, 403, 302, 302, 302, 302, 404]
FEED_POST = [302, 404, 302, 302, 302, 302, 302, 302, 404]

VIEWS = [
    ("life:calendar", "get", lambda w, e: [w.home.slug], READ),
    ("life:calendar_month", "get", lambda w, e: [w.home.slug, 2026, 12], READ),
    ("life:calendar_feed", "get", lambda w, e: [w.home.slug], READ),
    ("life:calendar_feed", "post", lambda w, e: [w.home.slug], FEED_POST),
    ("life:event_new", "get", lambda w, e: [w.home.slug], MANAGE),
    ("life:event_new", "post", lambda w, e: [w.home.slug], MANAGE_POST),
    ("life:event_edit", "get", lambda w, e: [w.home.slug, e.pk], MANAGE),
    ("life:event_edit", "post", lambda w, e: [w.home.slug, e.pk], MANAGE_POST),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    event = _event(world)
    data = {
        "kind": EventKind.WORKS,
        "title": "Changed",
        "starts_at": "2026-12-10T09:00",
        "ends_at": "2026-12-10T12:00",
        "action": "renew",
    }
    client = as_persona(persona)
    response = getattr(client, method)(reverse(name, args=args(world, event)), data)
    assert response.status_code == expected
    if method == "post" and expected != 302:
        event.refresh_from_db()
        assert event.title == "Entretien ascenseur"
        assert Event.objects.count() == 1
        assert not CalendarFeed.objects.exists()


def test_council_meetings_are_for_the_council_only(world, as_persona):
    _event(world)
    meeting = _event(world, kind=EventKind.COUNCIL, title="Réunion du conseil")
    assert meeting.council_only  # forced for council meetings
    url = reverse("life:calendar", args=[world.home.slug])
    titles = {
        persona: {e.title for e in as_persona(persona).get(url).context["page"]}
        for persona in ("tenant", "owner", "council", "manager")
    }
    assert titles["tenant"] == titles["owner"] == {"Entretien ascenseur"}
    assert (
        titles["council"]
        == titles["manager"]
        == {
            "Entretien ascenseur",
            "Réunion du conseil",
        }
    )
    edit = reverse("life:event_edit", args=[world.home.slug, meeting.pk])
    assert as_persona("owner").get(edit).status_code == 403


def test_month_view_places_events_on_their_days(world, as_persona):
    tz = timezone.get_current_timezone()
    start = datetime(2026, 12, 30, 18, 0, tzinfo=tz)
    services.event_save(
        residence=world.home,
        by=world.user("manager"),
        kind=EventKind.WORKS,
        title="Ravalement",
        starts_at=start,
        ends_at=start + timedelta(days=3),  # spills into January
    )
    client = as_persona("owner")
    response = client.get(
        reverse("life:calendar_month", args=[world.home.slug, 2026, 12])
    )
    days = {
        cell["day"].isoformat(): [e.title for e in cell["events"]]
        for week in response.context["weeks"]
        for cell in week
    }
    assert days["2026-12-30"] == days["2026-12-31"] == ["Ravalement"]
    assert days["2027-01-02"] == ["Ravalement"]  # shown in the trailing week
    assert days["2026-12-29"] == []
    assert (
        client.get(
            reverse("life:calendar_month", args=[world.home.slug, 2026, 13])
        ).status_code
        == 404
    )


def test_bad_event_input_rerenders_and_saves_nothing(world, client):
    login(client, world.user("council"))
    response = client.post(
        reverse("life:event_new", args=[world.home.slug]),
        {
            "kind": EventKind.WORKS,
            "title": "Peinture",
            "starts_at": "2026-12-10T12:00",
            "ends_at": "2026-12-10T09:00",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ends_at"]
    assert 'value="Peinture"' in response.content.decode()
    assert not Event.objects.exists()


class TestFeed:
    def _feed_url(self, client, world):
        client.post(
            reverse("life:calendar_feed", args=[world.home.slug]), {"action": "renew"}
        )
        page = client.get(reverse("life:calendar_feed", args=[world.home.slug]))
        return page.context["feed_url"]

    def test_feed_is_valid_icalendar_with_what_the_member_may_see(self, world, client):
        _event(world, place="Local vélos", description="Accès coupé")
        _event(world, kind=EventKind.COUNCIL, title="Réunion du conseil")
        login(client, world.user("owner"))
        url = self._feed_url(client, world)
        client.logout()  # a calendar app has no session: the token is the key
        response = client.get(url)
        assert response["Content-Type"].startswith("text/calendar")
        calendar = Calendar.from_ical(response.content)
        events = calendar.walk("VEVENT")
        assert [str(e["SUMMARY"]) for e in events] == ["Entretien ascenseur"]
        assert str(events[0]["LOCATION"]) == "Local vélos"
        assert events[0].decoded("DTEND") - events[0].decoded("DTSTART") == timedelta(
            hours=2
        )

    def test_renewing_kills_the_old_address_and_revoking_kills_it_all(
        self, world, client
    ):
        login(client, world.user("owner"))
        first = self._feed_url(client, world)
        second = self._feed_url(client, world)
        assert first != second
        assert client.get(first).status_code == 404
        assert client.get(second).status_code == 200
        client.post(
            reverse("life:calendar_feed", args=[world.home.slug]), {"action": "revoke"}
        )
        assert client.get(second).status_code == 404

    def test_a_member_who_lost_access_loses_the_feed(self, world, client):
        owner = world.user("owner")
        login(client, owner)
        url = self._feed_url(client, world)
        Membership.objects.filter(user=owner).update(status=MembershipStatus.BLOCKED)
        assert client.get(url).status_code == 404

    def test_unknown_token_is_404(self, client):
        assert (
            client.get(reverse("life:calendar_ics", args=["nope"])).status_code == 404
        )


def test_list_query_count_is_constant(world, client, django_assert_max_num_queries):
    login(client, world.user("owner"))
    _event(world)
    url = reverse("life:calendar", args=[world.home.slug])
    # session, user, standing, count, page, badge, switcher, first-visit session write
    with django_assert_max_num_queries(10):
        client.get(url)
    for n in range(20):
        _event(world, title=f"e{n}", days=n + 1)
    with django_assert_max_num_queries(7):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 20


def test_month_query_count_is_constant(world, client, django_assert_max_num_queries):
    login(client, world.user("owner"))
    url = reverse("life:calendar_month", args=[world.home.slug, 2026, 12])
    client.get(url)
    tz = timezone.get_current_timezone()
    for n in range(20):
        start = datetime(2026, 12, 1 + n, 9, tzinfo=tz)
        services.event_save(
            residence=world.home,
            by=world.user("manager"),
            kind=EventKind.OTHER,
            title=f"m{n}",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
    with django_assert_max_num_queries(6):  # session, user, standing, events, badge,
        client.get(url)  # switcher


def test_a_council_meeting_needs_no_ticked_box(world, client):
    login(client, world.user("president"))
    response = client.post(
        reverse("life:event_new", args=[world.home.slug]),
        {
            "kind": EventKind.COUNCIL,
            "title": "Réunion du conseil",
            "starts_at": "2026-12-10T18:00",
            "ends_at": "2026-12-10T20:00",
        },
    )
    assert response.status_code == 302
    assert Event.objects.get().council_only
