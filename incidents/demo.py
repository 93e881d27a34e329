"""Demo incidents and requests, a few in each state, made through the services as
people would (so the demo's notification centres hold their steps too)."""

from __future__ import annotations

from residents.models import Residence, User

from . import services
from .models import Category, Kind, Ticket
from .workflow import Actor, Status

PEOPLE = {
    "les-tilleuls": ("locataire", "proprietaire", "gestionnaire.horizon"),
    "clos-des-vignes": ("locataire", "proprietaire", "gestionnaire.bellevue"),
}


def _user(prefix: str, slug: str) -> User:
    if "." in prefix:
        return User.objects.get(email=f"{prefix}@copro.demo")
    suffix = "tilleuls" if slug == "les-tilleuls" else "vignes"
    return User.objects.get(email=f"{prefix}.{suffix}@copro.demo")


def seed(residences: dict[str, Residence]) -> None:
    for slug, residence in residences.items():
        if Ticket.history.filter(residence_id=residence.pk).exists():
            continue
        tenant, owner, manager = (_user(p, slug) for p in PEOPLE[slug])
        leak = services.ticket_declare(
            residence=residence,
            reporter=tenant,
            kind=Kind.INCIDENT,
            category=Category.WATER,
            title="Fuite d'eau dans le local vélos",
            location="Bât. A, sous-sol",
            description="Une flaque s'étend sous la canalisation au fond du local.",
            urgency="urgent",
        )
        services.ticket_confirm(ticket=leak, user=owner)
        services.ticket_set_priority(ticket=leak, priority=1)
        services.ticket_move(
            ticket=leak,
            by=manager,
            actors={Actor.SYNDIC},
            to_status=Status.ACKNOWLEDGED,
            comment="Plombier prévenu, passage demain matin.",
        )
        lift = services.ticket_declare(
            residence=residence,
            reporter=owner,
            kind=Kind.INCIDENT,
            category=Category.LIFT,
            title="Ascenseur : porte du 2e qui se rouvre",
            location="Bât. B, 2e étage",
        )
        for target in (Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED):
            lift = services.ticket_move(
                ticket=lift, by=manager, actors={Actor.SYNDIC}, to_status=target
            )
        lift = services.ticket_move(
            ticket=lift, by=owner, actors={Actor.REPORTER}, to_status=Status.CLOSED
        )
        services.ticket_rate(
            ticket=lift, user=owner, rating=4, comment="Réparé en deux jours."
        )
        services.ticket_declare(
            residence=residence,
            reporter=owner,
            kind=Kind.REQUEST,
            category=Category.CERTIFICATES,
            title="Attestation pour la vente de mon lot",
            description="Pouvez-vous m'envoyer l'état daté ?",
            private=True,
        )
