"""Statistics: who sees them, exact figures on a hand-made set (medians worked out
by hand), the SVG charts and their tables, the CSV export, the syndic's page across
its residences, and a constant query count."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import stats
from incidents.models import Category, Kind, Ticket, Transition
from incidents.workflow import Status
from residents.models import Role

from ..conftest import MATRIX_ARGS, login, matrix_cells
from ..factories import make_member, make_residence
from .test_tickets import declare

pytestmark = pytest.mark.django_db

TARGETS = {1: 24, 2: 72, 3: 240, 4: 720}


@pytest.fixture(autouse=True)
def _targets(settings):
    settings.COPRO_TICKET_TARGET_HOURS = TARGETS
    settings.COPRO_TICKET_TARGET_DEFAULT_HOURS = 240


# anonymous outsider tenant owner council president staff manager other_staff
FOLLOW = [302, 404, 403, 403, 200, 200, 200, 200, 404]
SYNDIC = [302, 404, 403, 403, 403, 403, 200, 200, 404]


def _slug(w):
    return [w.home.slug]


VIEWS = [
    ("incidents:stats", "get", _slug, FOLLOW),
    ("incidents:syndic_stats", "get", _slug, SYNDIC),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    declare(world)
    client = as_persona(persona)
    url = reverse(name, args=args(world))
    assert client.get(url).status_code == expected
    csv = client.get(url, {"format": "csv"})
    assert csv.status_code == expected
    if expected == 200:
        assert csv["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize("name", ["incidents:stats", "incidents:syndic_stats"])
def test_stats_pages_refuse_posts(world, client, name):
    login(client, world.user("manager"))
    response = client.post(reverse(name, args=[world.home.slug]))
    assert response.status_code == 405


# --- A hand-made set ------------------------------------------------------------------


def _ticket(world, category, *, age_hours, priority=None, residence=None, **extra):
    now = timezone.now()
    return Ticket.objects.create(
        residence=residence or world.home,
        kind=Kind.INCIDENT,
        reporter=world.user("tenant"),
        category=category,
        title=f"{category} {age_hours}",
        priority=priority,
        created_at=now - timedelta(hours=age_hours),
        status_changed_at=now - timedelta(hours=age_hours),
        **extra,
    )


def _moves(ticket, *steps):
    """steps: (hours after the declaration, target status)."""
    status = Status.NEW
    for hours, target in steps:
        at = ticket.created_at + timedelta(hours=hours)
        Transition.objects.create(
            ticket=ticket, from_status=status, to_status=target, at=at
        )
        status = target
    Ticket.objects.filter(pk=ticket.pk).update(
        status=status, status_changed_at=at if steps else ticket.created_at
    )


def hand_made(world):
    """Six tickets in the period, one too old, one merged duplicate.

    water A: acknowledged after 2 h, resolved after 20 h, P1 (24 h): within; ★5
    water B: in progress after 4 h, resolved after 100 h, P2 (72 h): late;   ★3
    water C: acknowledged after 9 h, still open at 192 h, P3 (240 h): not known yet
    lift D: never moved, 480 h old, no priority (240 h): late
    lift E: acknowledged after 1 h, resolved after 30 h, reopened, resolved again
            after 50 h (the first resolution counts), closed, P4 (720 h): within
    security F: rejected after 1 h: closed, but neither acknowledged nor resolved
    """
    a = _ticket(world, Category.WATER, age_hours=240, priority=1, rating=5)
    _moves(a, (2, Status.ACKNOWLEDGED), (20, Status.RESOLVED))
    b = _ticket(world, Category.WATER, age_hours=216, priority=2, rating=3)
    _moves(b, (4, Status.IN_PROGRESS), (100, Status.RESOLVED))
    c = _ticket(world, Category.WATER, age_hours=192, priority=3)
    _moves(c, (9, Status.ACKNOWLEDGED))
    _ticket(world, Category.LIFT, age_hours=480)
    e = _ticket(world, Category.LIFT, age_hours=120, priority=4)
    _moves(
        e,
        (1, Status.ACKNOWLEDGED),
        (30, Status.RESOLVED),
        (40, Status.REOPENED),
        (50, Status.RESOLVED),
        (60, Status.CLOSED),
    )
    f = _ticket(world, Category.SECURITY, age_hours=72)
    _moves(f, (1, Status.REJECTED))
    old = _ticket(world, Category.WATER, age_hours=24 * 400, priority=1, rating=1)
    _moves(old, (1, Status.ACKNOWLEDGED), (500, Status.RESOLVED))
    dup = _ticket(world, Category.WATER, age_hours=10, merged_into=a)
    _moves(dup, (1, Status.CLOSED))
    return Ticket.objects.filter(residence=world.home)


def test_figures_on_a_hand_made_set(world):
    report = stats.report(hand_made(world))
    water = report.by_category[Category.WATER]
    # acknowledge: 2, 4, 9 h → median 4, mean 5; resolve: 20, 100 → 60 and 60
    assert (water.tickets, water.acknowledged, water.resolved) == (3, 3, 2)
    assert water.ack_median == pytest.approx(4)
    assert water.ack_mean == pytest.approx(5)
    assert water.resolve_median == pytest.approx(60)
    assert water.resolve_mean == pytest.approx(60)
    # A within 24 h, B late; C still open before its target: not counted yet
    assert (water.decided, water.within_target, water.target_share) == (2, 1, 0.5)
    assert (water.ratings, water.rating_mean) == (2, pytest.approx(4.0))

    lift = report.by_category[Category.LIFT]
    assert (lift.tickets, lift.acknowledged, lift.resolved) == (2, 1, 1)
    assert lift.ack_median == pytest.approx(1)
    assert lift.resolve_median == pytest.approx(30)  # the first resolution
    # D is 480 h old, past the 240 h default target; E resolved within 720 h
    assert (lift.decided, lift.within_target) == (2, 1)
    assert lift.rating_mean is None

    security = report.by_category[Category.SECURITY]
    assert (security.tickets, security.acknowledged, security.resolved) == (1, 0, 0)
    assert security.ack_median is None and security.target_share is None
    assert list(report.by_category) == [
        Category.LIFT,
        Category.WATER,
        Category.SECURITY,
    ]  # the categories' own order, empty ones left out

    total = report.total
    # acknowledge: 1, 2, 4, 9 → median 3, mean 4; resolve: 20, 30, 100 → 30, 50
    assert total.tickets == 6
    assert total.ack_median == pytest.approx(3)
    assert total.ack_mean == pytest.approx(4)
    assert total.resolve_median == pytest.approx(30)
    assert total.resolve_mean == pytest.approx(50)
    assert (total.decided, total.within_target) == (4, 2)
    assert total.rating_mean == pytest.approx(4.0)


def test_opened_and_closed_per_month(world):
    tickets = hand_made(world)
    report = stats.report(tickets)
    assert len(report.months) == 12
    assert report.months[-1].month == timezone.localdate().replace(day=1)
    in_period = [
        t for t in tickets.filter(merged_into=None) if t.created_at >= report.since
    ]
    opened = Counter(timezone.localdate(t.created_at).replace(day=1) for t in in_period)
    assert {m.month: m.opened for m in report.months if m.opened} == dict(opened)
    # A, B, F once each; E twice (resolved, reopened, resolved again); E's move
    # from resolved to closed is not a second closing; the duplicate is left out.
    closings = Transition.objects.filter(
        ticket__in=in_period,
        to_status__in=[Status.RESOLVED, Status.REJECTED, Status.CLOSED],
    ).exclude(from_status__in=[Status.RESOLVED, Status.CLOSED, Status.REJECTED])
    assert closings.count() == 5
    closed = Counter(timezone.localdate(t.at).replace(day=1) for t in closings)
    assert {m.month: m.closed for m in report.months if m.closed} == dict(closed)
    assert sum(m.closed for m in report.months) == 5


def test_the_median_is_interpolated_and_nothing_is_none(world):
    for hours in (1, 2, 3, 10):
        ticket = _ticket(world, Category.LIFT, age_hours=100)
        _moves(ticket, (hours, Status.ACKNOWLEDGED))
    tickets = Ticket.objects.filter(residence=world.home)
    since = timezone.now() - timedelta(days=30)
    found = stats.figures(tickets, since=since)
    assert found.total.ack_median == pytest.approx(2.5)  # between 2 and 3
    assert found.by_residence[world.home.pk].tickets == 4
    assert list(found.by_category) == [Category.LIFT]
    empty = stats.figures(tickets.none(), since=since).total
    assert (empty.tickets, empty.ack_median, empty.target_share) == (0, None, None)


def test_month_starts_cross_the_year():
    starts = stats.month_starts(timezone.datetime(2026, 2, 17).date(), 4)
    assert [d.isoformat() for d in starts] == [
        "2025-11-01",
        "2025-12-01",
        "2026-01-01",
        "2026-02-01",
    ]


def _in_english(user):
    # Figures and headers in English whatever the French catalogue holds.
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def test_the_page_shows_charts_and_their_tables(world, client):
    hand_made(world)
    login(client, _in_english(world.user("council")))
    response = client.get(reverse("incidents:stats", args=[world.home.slug]))
    page = response.content.decode()
    assert page.count("<svg") == 2
    assert 'role="img"' in page and "<title" in page
    assert "style=" not in page.split("<main", 1)[-1]
    assert "<caption>" in page and 'scope="row"' in page
    total = response.context["total"]
    assert total.figures.tickets == 6 and total.within_target == "50 %"
    water = next(
        r for r in response.context["tables"][0]["rows"] if r.figures.key == "water"
    )
    assert water.ack_median == "4.0 h" and water.resolve_median == "2.5 d"
    bars = response.context["month_chart"]["bars"]
    assert [b["opened"] for b in bars] == [
        m.opened for m in response.context["report"].months
    ]
    assert all(b["opened_h"] >= 0 and b["opened_y"] >= 0 for b in bars)


def test_the_council_does_not_count_private_requests(world, client):
    declare(world, kind=Kind.REQUEST, title="Litige", private=True)
    declare(world, kind=Kind.REQUEST, title="Question")
    declare(world)
    totals = {}
    for persona in ("council", "manager"):
        login(client, world.user(persona))
        response = client.get(reverse("incidents:stats", args=[world.home.slug]))
        totals[persona] = response.context["total"].figures.tickets
    assert totals == {"council": 2, "manager": 3}
    only = client.get(
        reverse("incidents:stats", args=[world.home.slug]), {"kind": Kind.INCIDENT}
    )
    assert only.context["total"].figures.tickets == 1


def test_csv_export(world, client):
    hand_made(world)
    login(client, _in_english(world.user("president")))
    response = client.get(
        reverse("incidents:stats", args=[world.home.slug]), {"format": "csv"}
    )
    day = timezone.localdate().isoformat()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="incidents-{world.home.slug}-{day}.csv"'
    )
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Month;Opened;Closed"
    assert len(lines[1:13]) == 12 and lines[13] == ""
    assert lines[14].startswith("Category;Declared;Acknowledged;")
    water = next(line for line in lines if line.startswith("Water, leak;"))
    # declared; acknowledged; ack median; ack mean; resolved; resolve median;
    # resolve mean; outcome known; within target; share %; ratings; average rating
    assert water == "Water, leak;3;3;4,0;5,0;2;60,0;60,0;2;1;50,0;2;4,00"
    total = next(line for line in lines if line.startswith("All categories;"))
    assert total == "All categories;6;4;3,0;4,0;3;30,0;50,0;4;2;50,0;2;4,00"
    sums = [line.split(";") for line in lines[1:13]]
    this_month = timezone.localdate().strftime("%Y-%m")
    assert sums[-1][0] == this_month


def test_the_syndic_page_covers_its_residences_only(world, client):
    sister = make_residence(syndic=world.home.syndic, name="=Les Cèdres", lots=2)
    make_member(sister, Role.OWNER)
    hand_made(world)
    _ticket(world, Category.HEATING, age_hours=30, residence=sister)
    _ticket(world, Category.HEATING, age_hours=30, residence=world.other)
    login(client, _in_english(world.user("staff")))
    url = reverse("incidents:syndic_stats", args=[world.home.slug])
    response = client.get(url)
    rows = response.context["tables"][1]["rows"]
    assert [(r.label, r.figures.tickets) for r in rows] == [
        ("=Les Cèdres", 1),
        ("Les Tilleuls", 6),
    ]
    assert rows[0].url == reverse("incidents:stats", args=[sister.slug])
    assert response.context["total"].figures.tickets == 7  # not the other syndic's
    csv = client.get(url, {"format": "csv"}).content.decode("utf-8-sig")
    assert "\r\nResidence;Declared;" in csv
    assert "\r\n'=Les Cèdres;1;" in csv  # never a formula in Excel


@pytest.mark.parametrize("rows", [1, 30])
def test_queries_stay_constant(world, client, rows, django_assert_max_num_queries):
    for n in range(rows):
        category = [Category.WATER, Category.LIFT, Category.HEATING][n % 3]
        ticket = _ticket(world, category, age_hours=n + 5, priority=n % 4 + 1)
        _moves(ticket, (1, Status.ACKNOWLEDGED), (3, Status.RESOLVED))
    login(client, world.user("manager"))
    url = reverse("incidents:stats", args=[world.home.slug])
    client.get(url)
    # session, user, staff MFA check, standing, figures (one aggregate), opened per
    # month, closed per month, badge, switcher
    with django_assert_max_num_queries(9):
        response = client.get(url)
    assert response.context["total"].figures.tickets == rows
    with django_assert_max_num_queries(9):
        client.get(url, {"format": "csv"})
    syndic = reverse("incidents:syndic_stats", args=[world.home.slug])
    # the same, and the syndic's residences
    with django_assert_max_num_queries(10):
        response = client.get(syndic)
    assert response.context["total"].figures.tickets == rows
