"""The benchmark's volume: generated tickets follow the workflow, stay in their
residences, and seeding again adds nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from incidents import stats, workflow
from incidents.models import INCIDENT_CATEGORIES, REQUEST_CATEGORIES, Kind, Ticket
from incidents.scale import seed_tickets
from incidents.workflow import Actor, Status
from residents.models import Residence, Role, SyndicRole

from ..factories import make_employee, make_member, make_residence, make_syndic

pytestmark = pytest.mark.django_db


@pytest.fixture
def scale_residences(db):
    syndic = make_syndic("Syndic Échelle")
    manager = make_employee(syndic, SyndicRole.MANAGER)
    residences = []
    for n in (1, 2):
        residence = make_residence(syndic=syndic, name=f"Échelle {n}", lots=4)
        Residence.objects.filter(pk=residence.pk).update(slug=f"scale-{n}")
        residence.refresh_from_db()
        for _ in range(3):
            make_member(residence, Role.OWNER)
        residences.append(residence)
    return residences, manager


def test_seeding_100_tickets_follows_the_workflow(scale_residences):
    residences, manager = scale_residences
    assert seed_tickets(100, batch_size=30) == 100
    tickets = Ticket.objects.prefetch_related("transitions").order_by("pk")
    assert tickets.count() == 100
    assert {r.tickets.count() for r in residences} == {50}
    now = timezone.now()
    for ticket in tickets:
        incident = ticket.kind == Kind.INCIDENT
        assert ticket.category in (
            INCIDENT_CATEGORIES if incident else REQUEST_CATEGORIES
        )
        assert ticket.created_at > now - timedelta(days=3 * 366)
        assert not ticket.private or ticket.kind == Kind.REQUEST
        assert ticket.reporter.memberships.filter(residence=ticket.residence).exists()
        status, at = Status.NEW, ticket.created_at
        for move in ticket.transitions.all():
            actor = Actor.SYNDIC if move.by_id == manager.pk else Actor.REPORTER
            assert move.by_id in (manager.pk, ticket.reporter_id)
            assert move.from_status == status
            workflow.check(move.from_status, move.to_status, {actor})
            assert at <= move.at <= now
            status, at = move.to_status, move.at
        assert ticket.status == status and ticket.status_changed_at == at
        if ticket.rating is not None:
            assert ticket.status == Status.CLOSED
    # a realistic mix: most handled, some still open
    statuses = set(tickets.values_list("status", flat=True))
    assert {Status.CLOSED, Status.RESOLVED} <= statuses
    assert Ticket.history.count() == 100  # one "created" row each


def test_seeding_again_adds_nothing_and_tops_up(scale_residences):
    seed_tickets(100)
    assert seed_tickets(100) == 0
    assert Ticket.objects.count() == 100
    assert seed_tickets(120) == 20
    assert Ticket.objects.count() == 120


def test_the_command_and_the_statistics_on_generated_tickets(scale_residences):
    residences, _manager = scale_residences
    out = io.StringIO()
    call_command("seed_incidents", "60", stdout=out)
    assert "Added 60 incidents and requests" in out.getvalue()
    assert Ticket.objects.count() == 60
    report = stats.report(Ticket.objects.filter(residence=residences[0]))
    assert sum(m.opened for m in report.months) == report.total.tickets
    assert report.total.tickets <= 30


def test_the_command_needs_generated_residences(db):
    with pytest.raises(CommandError):
        call_command("seed_incidents", "10")
