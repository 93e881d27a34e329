"""Generated incidents and requests for benchmarks: 100,000 tickets, in bulk.

Each generated residence (`seed_demo --scale N`) gets tickets spread over the last
three years, reported by its owners, each with the transitions a syndic's handling
would have left: acknowledged within hours (urgent ones) or days, sometimes waiting
for a provider, resolved within a delay that grows with the priority, closed and rated
by the reporter, a few rejected or reopened. Recent tickets are often still open.

Written in batches of `BATCH_SIZE` tickets, one transaction each. Tickets get their
historical rows through `bulk_create_with_history` (one "created" row each, dated
now: the generated past has no step-by-step history); transitions have no history
table. Tickets carry the statistics' milestones (first acknowledgement, first
resolution) of their generated transitions. No notification is sent and no "me too"
confirmation is generated.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from residents.models import Membership, MembershipStatus, Residence, Role

from .models import (
    INCIDENT_CATEGORIES,
    REQUEST_CATEGORIES,
    Category,
    Kind,
    Ticket,
    Transition,
    Urgency,
)
from .workflow import Status

BATCH_SIZE = 5_000
YEARS = 3

TITLES: dict[str, list[str]] = {
    Category.LIFT: [
        "Ascenseur en panne", "Ascenseur bloqué au {floor}", "Porte d'ascenseur qui "
        "se rouvre", "Bruit anormal dans la cabine", "Bouton d'appel HS au {floor}",
    ],
    Category.WATER: [
        "Fuite d'eau au {floor}", "Infiltration au plafond du hall", "Dégât des eaux "
        "dans la cave", "Canalisation qui goutte au sous-sol", "Flaque dans le "
        "local vélos",
    ],
    Category.ELECTRICITY: [
        "Éclairage du palier HS au {floor}", "Minuterie de l'escalier en panne",
        "Ampoule grillée dans le hall", "Disjoncteur des parties communes qui saute",
    ],
    Category.HEATING: [
        "Plus de chauffage", "Radiateurs froids au {floor}", "Chaudière en défaut",
        "Eau chaude tiède",
    ],
    Category.ACCESS: [
        "Interphone muet", "Digicode hors service", "Porte du hall qui ne ferme "
        "plus", "Portail du parking bloqué", "Badge refusé à l'entrée",
    ],
    Category.CLEANLINESS: [
        "Escalier non nettoyé", "Encombrants dans le local poubelles", "Tags sur la "
        "façade", "Odeur dans le local poubelles",
    ],
    Category.SECURITY: [
        "Extincteur vide au {floor}", "Porte coupe-feu bloquée ouverte", "Rôdeur "
        "signalé dans le parking", "Éclairage extérieur HS",
    ],
    Category.PAYMENTS: [
        "Question sur mon appel de fonds", "Erreur de régularisation de charges",
        "Échéancier de paiement", "Remboursement d'un trop-perçu",
    ],
    Category.PRIVATE_WORKS: [
        "Autorisation de travaux dans mon lot", "Remplacement de mes fenêtres",
        "Pose d'une climatisation", "Ouverture d'un mur porteur",
    ],
    Category.DOCUMENTS: [
        "Copie du dernier procès-verbal d'AG", "Règlement de copropriété",
        "Carnet d'entretien de l'immeuble",
    ],
    Category.CERTIFICATES: [
        "État daté pour la vente de mon lot", "Attestation de propriété",
        "Pré-état daté",
    ],
    Category.NUISANCE: [
        "Bruit de voisinage le soir", "Stationnement gênant dans la cour",
        "Aboiements répétés au {floor}",
    ],
    Category.OTHER: [
        "Boîte aux lettres abîmée", "Question sur le tri des déchets",
        "Plante à élaguer dans la cour",
    ],
}  # fmt: skip
FLOORS = ["rez-de-chaussée", "1er", "2e", "3e", "4e", "5e", "6e", "7e"]
PLACES = ["Bât. A", "Bât. B", "Bât. C", "Escalier 1", "Escalier 2"]
COMMENTS = [
    "Prestataire prévenu.", "Passage prévu cette semaine.", "Pièce commandée.",
    "Intervention réalisée.", "Devis demandé.", "Relance du prestataire.", "",
]  # fmt: skip
# How incidents and requests split across categories.
INCIDENT_WEIGHTS = [14, 22, 14, 12, 16, 10, 5, 7]  # same order as INCIDENT_CATEGORIES
REQUEST_WEIGHTS = [30, 15, 20, 15, 12, 8]
# Hours to resolve, (low, high) per priority (None: not prioritised).
RESOLVE_HOURS = {1: (2, 48), 2: (12, 150), 3: (24, 480), 4: (72, 1500), None: (24, 700)}


@dataclass
class _People:
    handler_id: int | None
    reporter_ids: list[int] = field(default_factory=list)


def _people(residence: Residence) -> _People:
    employee = residence.syndic.employees.order_by("pk").first()
    reporters = list(
        Membership.objects.filter(
            residence=residence, status=MembershipStatus.ACTIVE, role=Role.OWNER
        )
        .order_by("pk")
        .values_list("user_id", flat=True)
    )
    return _People(employee.user_id if employee else None, reporters)


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    # Log-uniform: most delays short, a long tail.
    return timedelta(hours=math.exp(rng.uniform(math.log(low), math.log(high))))


class _NotYet(Exception):
    """The next step would be after `now`: the ticket stays where it is."""


class _Path:
    """The transitions of one ticket, stopped at `now` (what has not happened yet
    did not happen)."""

    def __init__(self, ticket: Ticket, now: datetime, handler_id, reporter_id):
        self.ticket, self.now = ticket, now
        self.handler_id, self.reporter_id = handler_id, reporter_id
        self.at = ticket.created_at
        self.rows: list[Transition] = []

    def go(self, to: str, after: timedelta, rng: random.Random, by_reporter=False):
        at = self.at + after
        if at >= self.now:
            raise _NotYet
        self.rows.append(
            Transition(
                ticket=self.ticket,
                from_status=self.ticket.status,
                to_status=to,
                by_id=self.reporter_id if by_reporter else self.handler_id,
                at=at,
                comment=rng.choice(COMMENTS),
            )
        )
        self.ticket.status = to
        self.ticket.status_changed_at = at
        # Written with the ticket: the trigger behind the transitions then has
        # nothing to update (no second version of every row).
        self.ticket.stamp_milestones(to, at)
        self.at = at


def _handle(path: _Path, rng: random.Random) -> None:
    ticket = path.ticket
    if rng.random() < 0.01:
        return  # forgotten: still new
    fast = ticket.priority == 1 or ticket.urgency == Urgency.URGENT
    path.go(
        Status.REJECTED
        if rng.random() < 0.05
        else rng.choice([Status.ACKNOWLEDGED] * 4 + [Status.IN_PROGRESS]),
        _hours(rng, 0.2, 8) if fast else _hours(rng, 1, 120),
        rng,
    )
    if ticket.status == Status.REJECTED or rng.random() < 0.03:
        return  # rejected, or stalled: the open backlog
    low, high = RESOLVE_HOURS[ticket.priority]
    remaining = _hours(rng, low, high)
    if rng.random() < 0.25:
        path.go(Status.WAITING_PROVIDER, remaining * 0.3, rng)
        path.go(Status.IN_PROGRESS, remaining * 0.4, rng)
        remaining *= 0.3
    elif ticket.status == Status.ACKNOWLEDGED and rng.random() < 0.6:
        path.go(Status.IN_PROGRESS, remaining * 0.3, rng)
        remaining *= 0.7
    path.go(Status.RESOLVED, remaining, rng)
    if rng.random() < 0.03:
        path.go(Status.REOPENED, _hours(rng, 2, 96), rng, by_reporter=True)
        path.go(Status.IN_PROGRESS, _hours(rng, 1, 48), rng)
        path.go(Status.RESOLVED, _hours(rng, low, high), rng)
    if rng.random() < 0.6:
        path.go(Status.CLOSED, _hours(rng, 4, 240), rng, by_reporter=True)
        if rng.random() < 0.6:
            ticket.rating = rng.choices([1, 2, 3, 4, 5], [4, 6, 15, 40, 35])[0]


def _ticket(
    rng: random.Random, residence: Residence, people: _People, now: datetime
) -> Ticket:
    created = now - timedelta(seconds=rng.randint(0, YEARS * 365 * 24 * 3600))
    kind = Kind.INCIDENT if rng.random() < 0.75 else Kind.REQUEST
    if kind == Kind.INCIDENT:
        category = rng.choices(INCIDENT_CATEGORIES, INCIDENT_WEIGHTS)[0]
        urgent = rng.random() < 0.12
    else:
        category = rng.choices(REQUEST_CATEGORIES, REQUEST_WEIGHTS)[0]
        urgent = False
    if urgent:
        priority = rng.choice([1, 1, 1, 2])
    else:
        priority = rng.choice([None, 2, 3, 3, 3, 4])
    return Ticket(
        residence=residence,
        kind=kind,
        reporter_id=rng.choice(people.reporter_ids) if people.reporter_ids else None,
        category=category,
        title=rng.choice(TITLES[category]).format(floor=rng.choice(FLOORS))[:150],
        description="Signalé par un résident.",
        location=f"{rng.choice(PLACES)}, {rng.choice(FLOORS)}"
        if kind == Kind.INCIDENT
        else "",
        urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
        priority=priority,
        status=Status.NEW,
        private=kind == Kind.REQUEST and rng.random() < 0.2,
        created_at=created,
        status_changed_at=created,
    )


@transaction.atomic
def _seed_batch(
    residence: Residence,
    people: _People,
    count: int,
    rng: random.Random,
    now: datetime,
) -> None:
    tickets, paths = [], []
    for _ in range(count):
        ticket = _ticket(rng, residence, people, now)
        path = _Path(ticket, now, people.handler_id, ticket.reporter_id)
        try:
            _handle(path, rng)
        except _NotYet:
            pass  # the rest is in the future
        tickets.append(ticket)
        paths.append(path)
    # PostgreSQL returns the new ids: the transitions can point at their ticket.
    bulk_create_with_history(
        tickets, Ticket, batch_size=1000, default_date=now, default_user=None
    )
    transitions = []
    for path in paths:
        for row in path.rows:
            row.ticket_id = path.ticket.pk
            transitions.append(row)
    Transition.objects.bulk_create(transitions, batch_size=2000)


def seed_tickets(
    count: int,
    *,
    residences: Sequence[Residence] | None = None,
    batch_size: int = BATCH_SIZE,
    seed: int = 5,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Fill the generated residences (`slug` "scale-…", or `residences`) up to
    `count` tickets in all, shared evenly: the tickets a residence already has count,
    so a second run adds nothing. Commits every `batch_size` tickets; returns how
    many were added."""
    if residences is None:
        residences = list(
            Residence.objects.filter(slug__startswith="scale-")
            .select_related("syndic")
            .order_by("pk")
        )
    if not residences or count <= 0:
        return 0
    per_residence = math.ceil(count / len(residences))
    missing = {
        residence: per_residence - residence.tickets.count() for residence in residences
    }
    now = timezone.now()
    added = 0
    for residence, todo in missing.items():
        if todo <= 0:
            continue
        # Seeded by what exists, so that topping up does not repeat the same rows.
        rng = random.Random(f"{seed}-{residence.pk}-{per_residence - todo}")  # noqa: S311
        people = _people(residence)
        while todo > 0:
            size = min(batch_size, todo)
            _seed_batch(residence, people, size, rng, now)
            todo -= size
            added += size
            if progress is not None:
                progress(added)
    if added:
        with connection.cursor() as cursor:
            # Fresh statistics, or the planner misjudges the new volume.
            cursor.execute("ANALYZE incidents_ticket")
            cursor.execute("ANALYZE incidents_transition")
    return added
