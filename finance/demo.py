"""Demo charges: this year's budget with its quarterly calls issued, and the demo
owner's first payment (their balance shows what remains due)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone

from residents.models import Residence, User

from . import banking, services
from .models import BankImport, Budget, EntryKind, ReminderPolicy, WorksCall
from .notices import reference
from .works_calls import equal_schedule, works_call_create

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
        if not Budget.objects.filter(residence=residence).exists():
            _budget(slug, residence, year)
        _works(slug, residence, year)
        _statement(slug, residence)
        ReminderPolicy.objects.get_or_create(residence=residence)


def _budget(slug: str, residence: Residence, year: int) -> None:
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


def _works(slug: str, residence: Residence, year: int) -> None:
    """The façade repair voted at last June's AG, called in three instalments."""
    if WorksCall.objects.filter(residence=residence).exists():
        return
    general = residence.allocation_keys.get(is_general=True)
    total = Decimal("36000.00")
    works_call_create(
        residence=residence,
        label="Ravalement de la façade sur rue",
        decided_on=date(year - 1, 6, 12),
        key=general,
        total=total,
        schedule=equal_schedule(total, 3, date(year, 2, 1), 4),
        by=User.objects.get(email=MANAGERS[slug]),
    )


def _statement(slug: str, residence: Residence) -> None:
    """A bank statement in the review queue: the demo owner's second provision,
    paid by transfer with the notice's reference, and a transfer nobody claims."""
    if BankImport.objects.filter(residence=residence).exists():
        return
    owner = User.objects.get(email=OWNERS[slug])
    account = services.account_for(residence, owner.pk)
    second = (
        account.entries.filter(kind=EntryKind.CALL, call__budget__isnull=False)
        .select_related("call__residence")
        .order_by("due_on")[1:2]
        .first()
    )
    if second is None:
        return
    day = second.due_on.strftime("%d/%m/%Y")
    amount = f"{second.amount:.2f}".replace(".", ",")
    csv = (
        "Date;Libellé;Débit euros;Crédit euros\n"
        f'{day};"VIR SEPA RECU /DE {owner.get_full_name().upper()} '
        f'/MOTIF {reference(second.call, account)}";;{amount}\n'
        f'{day};"VIR SEPA RECU /DE M OU MME INCONNU /MOTIF CHARGES";;150,00\n'
        f'{day};"PRLV SEPA ASCENSEURS DU RHONE";1 234,56;\n'
    )
    banking.statement_import(
        residence=residence,
        file=csv.encode("utf-8"),
        by=User.objects.get(email=MANAGERS[slug]),
    )
