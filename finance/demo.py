"""Demo charges: this year's budget with its quarterly calls issued, and the demo
owner's first payment (their balance shows what remains due)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone

from residents.models import Residence, User

from . import services
from .models import Budget, EntryKind

MANAGERS = {
    "les-tilleuls": "gestionnaire.horizon@copro.demo",
    "clos-des-vignes": "gestionnaire.bellevue@copro.demo",
}
OWNERS = {
    "les-tilleuls": "proprietaire.tilleuls@copro.demo",
    "clos-des-vignes": "proprietaire.vignes@copro.demo",
}
# Yearly budget per allocation key code; the fonds de travaux is 5 % of the total.
BUDGET = {"general": Decimal("84000.00"), "ascenseur": Decimal("9600.00")}


def seed(residences: dict[str, Residence]) -> None:
    year = timezone.localdate().year
    for slug, residence in residences.items():
        if Budget.objects.filter(residence=residence).exists():
            continue
        manager = User.objects.get(email=MANAGERS[slug])
        keys = {key.code: key for key in residence.allocation_keys.all()}
        general = next(k for k in keys.values() if k.is_general)
        lines = {general.pk: BUDGET["general"]}
        if "ascenseur" in keys:
            lines[keys["ascenseur"].pk] = BUDGET["ascenseur"]
        total = sum(lines.values())
        budget = services.budget_save(
            residence=residence,
            year=year,
            lines=lines,
            works_fund=(total * Decimal("0.05")).quantize(Decimal("0.01")),
            by=manager,
            voted_on=date(year - 1, 6, 12),
        )
        calls = services.budget_calls_issue(budget=budget, by=manager)
        owner = User.objects.get(email=OWNERS[slug])
        account = services.account_for(residence, owner.pk)
        first = account.entries.filter(call=calls[0]).first()
        if first is not None:
            services.entry_post(
                account=account,
                kind=EntryKind.PAYMENT,
                amount=-first.amount,
                label="Virement reçu",
                on=calls[0].due_on,
                by=manager,
                source_ref=f"demo:{slug}:{year}:1",
            )
