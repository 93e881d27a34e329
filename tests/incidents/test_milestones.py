"""The statistics' stored milestones: `acknowledged_at` and `resolved_at` follow every
path a ticket takes (through the services, the view, a merge, or transitions
inserted directly), the migration fills them from the transitions, and the figures
read from them are those the transitions give."""

from __future__ import annotations

import importlib
import statistics
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.state import ProjectState
from django.urls import reverse
from django.utils import timezone

from incidents import services, stats
from incidents.models import Category, Kind, Ticket, Transition
from incidents.scale import seed_tickets
from incidents.workflow import Actor, Status

from ..conftest import login
from .test_stats import TARGETS
from .test_tickets import declare, move

pytestmark = pytest.mark.django_db

backfill_migration = importlib.import_module(
    "incidents.migrations.0003_ticket_milestones"
)


def first_moves(ticket: Ticket) -> tuple:
    """The milestones as the transitions give them: the first move to acknowledged
    or in progress, the first move to resolved (None if never)."""
    moves = Transition.objects.filter(ticket=ticket).order_by("at", "pk")
    ack = moves.filter(to_status__in=[Status.ACKNOWLEDGED, Status.IN_PROGRESS])
    resolved = moves.filter(to_status=Status.RESOLVED)
    return (
        ack.values_list("at", flat=True).first(),
        resolved.values_list("at", flat=True).first(),
    )


def stored(ticket: Ticket) -> tuple:
    row = Ticket.objects.values_list("acknowledged_at", "resolved_at").get(pk=ticket.pk)
    return tuple(row)


def moved_at(ticket: Ticket, to_status: str, nth: int = 0):
    return list(
        ticket.transitions.filter(to_status=to_status)
        .order_by("at", "pk")
        .values_list("at", flat=True)
    )[nth]


# --- Through the services -------------------------------------------------------------


def test_acknowledge_resolve_reopen_resolve_again(world):
    ticket = declare(world)
    assert stored(ticket) == (None, None)

    ticket = move(world, ticket, Status.ACKNOWLEDGED)
    acknowledged = moved_at(ticket, Status.ACKNOWLEDGED)
    assert stored(ticket) == (acknowledged, None)
    # The ticket the service returns says the same as its row.
    assert (ticket.acknowledged_at, ticket.resolved_at) == (acknowledged, None)
    assert acknowledged == ticket.status_changed_at

    ticket = move(world, ticket, Status.IN_PROGRESS)  # a second hand-taking
    ticket = move(world, ticket, Status.RESOLVED)
    resolved = moved_at(ticket, Status.RESOLVED)
    assert stored(ticket) == (acknowledged, resolved)

    # The reporter says it is not fixed; the syndic takes it again and resolves it.
    ticket = move(
        world, ticket, Status.REOPENED, persona="tenant", actors=[Actor.REPORTER]
    )
    assert stored(ticket) == (acknowledged, resolved)  # kept on reopening
    ticket = move(world, ticket, Status.ACKNOWLEDGED)
    ticket = move(world, ticket, Status.RESOLVED)
    again = moved_at(ticket, Status.RESOLVED, nth=1)
    assert again > resolved
    # The first resolution stays the one the statistics measure.
    assert stored(ticket) == (acknowledged, resolved) == first_moves(ticket)
    assert (ticket.acknowledged_at, ticket.resolved_at) == (acknowledged, resolved)

    ticket = move(
        world, ticket, Status.CLOSED, persona="tenant", actors=[Actor.REPORTER]
    )
    assert stored(ticket) == (acknowledged, resolved)
    assert ticket.transitions.count() == 7


def test_in_progress_straight_away_counts_as_acknowledged(world):
    ticket = move(world, declare(world), Status.IN_PROGRESS)
    assert stored(ticket) == (moved_at(ticket, Status.IN_PROGRESS), None)
    ticket = move(world, ticket, Status.WAITING_PROVIDER)
    ticket = move(world, ticket, Status.RESOLVED)
    assert stored(ticket) == first_moves(ticket)
    assert None not in stored(ticket)


def test_rejected_then_reopened_and_resolved(world):
    ticket = move(world, declare(world), Status.REJECTED)
    assert stored(ticket) == (None, None)  # rejected: neither taken nor resolved
    ticket = move(world, ticket, Status.REOPENED)
    assert stored(ticket) == (None, None)
    ticket = move(world, ticket, Status.RESOLVED)  # resolved, never acknowledged
    assert stored(ticket) == (None, moved_at(ticket, Status.RESOLVED))


def test_a_refused_move_stamps_nothing(world):
    ticket = declare(world)
    with pytest.raises(ValidationError):
        move(world, ticket, Status.RESOLVED)  # new → resolved is not allowed
    assert stored(ticket) == (None, None)
    assert not Transition.objects.exists()


def test_a_merged_duplicate_keeps_what_it_had_and_the_original_is_untouched(world):
    original = move(world, declare(world, title="Fuite au 3e"), Status.ACKNOWLEDGED)
    taken = move(
        world, declare(world, title="Fuite", persona="owner"), Status.ACKNOWLEDGED
    )
    fresh = declare(world, title="Encore la fuite", persona="council")
    before = stored(original)

    services.ticket_merge(duplicate=taken, into=original, by=world.user("manager"))
    services.ticket_merge(duplicate=fresh, into=original, by=world.user("manager"))

    # Closed as duplicates: closing is no resolution, and no hand-taking is lost.
    assert stored(taken) == (moved_at(taken, Status.ACKNOWLEDGED), None)
    assert stored(fresh) == (None, None)
    assert stored(original) == before
    for ticket in (taken, fresh):
        ticket.refresh_from_db()
        assert ticket.status == Status.CLOSED and ticket.merged_into == original
        assert stored(ticket) == first_moves(ticket)


def test_the_move_view_stamps_the_milestones(world, client):
    ticket = declare(world)
    login(client, world.user("manager"))
    url = reverse("incidents:move", args=[world.home.slug, ticket.pk])
    for target in (Status.ACKNOWLEDGED, Status.RESOLVED):
        assert client.post(url, {"to_status": target}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert (ticket.acknowledged_at, ticket.resolved_at) == first_moves(ticket)
    assert ticket.resolved_at > ticket.acknowledged_at


def test_a_refused_view_move_stamps_nothing(world, client):
    ticket = declare(world)
    login(client, world.user("council"))  # follows, may not handle
    url = reverse("incidents:move", args=[world.home.slug, ticket.pk])
    assert client.post(url, {"to_status": Status.ACKNOWLEDGED}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and stored(ticket) == (None, None)


# --- Whoever inserts the transitions: the database keeps them -------------------------


def _bare(world, hours_ago=100):
    created = timezone.now() - timedelta(hours=hours_ago)
    return Ticket.objects.create(
        residence=world.home,
        kind=Kind.INCIDENT,
        reporter=world.user("tenant"),
        category=Category.LIFT,
        title="Ascenseur",
        created_at=created,
        status_changed_at=created,
    )


def test_transitions_inserted_directly_set_the_earliest_move(world):
    ticket = _bare(world)
    t0 = ticket.created_at

    def add(hours, to_status, from_status=Status.NEW):
        Transition.objects.create(
            ticket=ticket,
            from_status=from_status,
            to_status=to_status,
            at=t0 + timedelta(hours=hours),
        )

    add(5, Status.ACKNOWLEDGED)
    assert stored(ticket) == (t0 + timedelta(hours=5), None)
    add(9, Status.RESOLVED, Status.ACKNOWLEDGED)
    add(30, Status.RESOLVED, Status.REOPENED)  # later: changes nothing
    assert stored(ticket) == (t0 + timedelta(hours=5), t0 + timedelta(hours=9))
    add(2, Status.IN_PROGRESS)  # recorded late, but earlier: it is the first
    assert stored(ticket) == (t0 + timedelta(hours=2), t0 + timedelta(hours=9))
    add(1, Status.REJECTED)  # neither
    assert stored(ticket) == first_moves(ticket)


def test_one_bulk_insert_for_many_tickets(world):
    """Like the scale seed: one INSERT for the transitions of several tickets, a
    ticket's moves in any order within it."""
    a, b, untouched = _bare(world), _bare(world, 50), _bare(world, 20)
    h = timedelta(hours=1)
    moves = [
        (a, Status.RESOLVED, 40),
        (a, Status.ACKNOWLEDGED, 3),
        (a, Status.RESOLVED, 20),
        (b, Status.IN_PROGRESS, 7),
        (b, Status.ACKNOWLEDGED, 8),
    ]
    Transition.objects.bulk_create(
        Transition(
            ticket=ticket,
            from_status=Status.NEW,
            to_status=to_status,
            at=ticket.created_at + hours * h,
        )
        for ticket, to_status, hours in moves
    )
    assert stored(a) == (a.created_at + 3 * h, a.created_at + 20 * h)
    assert stored(b) == (b.created_at + 7 * h, None)
    assert stored(untouched) == (None, None)


# --- The migration's backfill ---------------------------------------------------------


def _backfill():
    with connection.schema_editor() as editor:
        backfill_migration.backfill_milestones(ProjectState().apps, editor)


def test_the_backfill_gives_the_transitions_first_moves(world):
    from .test_stats import hand_made

    tickets = list(hand_made(world))  # every path: reopened, rejected, merged, new
    in_progress = _bare(world, 30)
    Transition.objects.create(
        ticket=in_progress,
        from_status=Status.NEW,
        to_status=Status.IN_PROGRESS,
        at=in_progress.created_at + timedelta(minutes=5),
    )
    tickets.append(in_progress)
    expected = {t.pk: first_moves(t) for t in tickets}
    assert sum(1 for ack, _ in expected.values() if ack) == 6
    assert sum(1 for _, res in expected.values() if res) == 4
    # As before the migration: nothing stored.
    Ticket.objects.update(acknowledged_at=None, resolved_at=None)

    _backfill()

    assert {t.pk: stored(t) for t in tickets} == expected
    _backfill()  # again: the same
    assert {t.pk: stored(t) for t in tickets} == expected


def test_the_backfill_matches_the_generated_volume(scale_world):
    seed_tickets(150, batch_size=40)
    expected = {t.pk: first_moves(t) for t in Ticket.objects.all()}
    assert len(expected) == 150
    assert {t.pk: stored(t) for t in Ticket.objects.all()} == expected  # seeded
    Ticket.objects.update(acknowledged_at=None, resolved_at=None)
    _backfill()
    assert {t.pk: stored(t) for t in Ticket.objects.all()} == expected


# --- The figures: the same as from the transitions ------------------------------------


@pytest.fixture
def scale_world(db):
    from residents.models import Residence, Role, SyndicRole

    from ..factories import make_employee, make_member, make_residence, make_syndic

    syndic = make_syndic("Syndic Échelle")
    make_employee(syndic, SyndicRole.MANAGER)
    residence = make_residence(syndic=syndic, name="Échelle 1", lots=4)
    Residence.objects.filter(pk=residence.pk).update(slug="scale-1")
    residence.refresh_from_db()
    for _ in range(3):
        make_member(residence, Role.OWNER)
    return residence


def _hours(seconds):
    return seconds.total_seconds() / 3600


def test_figures_on_generated_tickets_equal_those_of_the_transitions(
    scale_world, settings
):
    """On 400 generated tickets (reopened, rejected, waiting ones included), the
    figures read from the milestones are those computed here from the transitions."""
    settings.COPRO_TICKET_TARGET_HOURS = TARGETS
    settings.COPRO_TICKET_TARGET_DEFAULT_HOURS = 240
    seed_tickets(400)
    assert Transition.objects.filter(to_status=Status.REOPENED).exists()
    now = timezone.now()
    since = now - timedelta(days=365)
    found = stats.figures(Ticket.objects.all(), since=since, now=now).total

    acks, resolves, within, decided = [], [], 0, 0
    for ticket in Ticket.objects.filter(created_at__gte=since, merged_into=None):
        ack, resolved = first_moves(ticket)
        target = TARGETS.get(ticket.priority, 240)
        if ack:
            acks.append(_hours(ack - ticket.created_at))
        if resolved:
            resolves.append(_hours(resolved - ticket.created_at))
            decided += 1
            within += _hours(resolved - ticket.created_at) <= target
        elif ticket.is_open and _hours(now - ticket.created_at) > target:
            decided += 1
    assert len(acks) > 50 and len(resolves) > 50
    assert found.acknowledged == len(acks) and found.resolved == len(resolves)
    assert found.ack_median == pytest.approx(statistics.median(acks))
    assert found.ack_mean == pytest.approx(statistics.mean(acks))
    assert found.resolve_median == pytest.approx(statistics.median(resolves))
    assert found.resolve_mean == pytest.approx(statistics.mean(resolves))
    assert (found.decided, found.within_target) == (decided, within)
