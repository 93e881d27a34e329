"""The figures an attestation states, read from a co-owner's ledger.

An entry counts on its due date when it has one (a call for funds is owed from the
first day of its period, as in co-ownership accounting), else on its date: the
payment attestation, the statement and the yearly summary all use that one rule, so
their balances agree. Amounts are returned as strings of exact Decimals (they are
frozen in a JSON field), signed as in the ledger: positive owed, negative credited.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from . import notices
from .allocation import oldest_first, split, to_cents
from .models import Account, CallKind, CallShare, EntryKind
from .selectors import ZERO

NOTHING = Decimal("0.00")

# Yearly summary lines, in the order they are printed; the first five always are.
YEARLY_LINES = [
    "provisions",
    "works_fund",
    "works",
    "regularisation",
    "payments",
    "refunds",
    "fees",
    "adjustments",
]


def _ledger_date():
    return Coalesce("due_on", "on")


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def payment_figures(account: Account, as_of: date) -> dict:
    """What was owed and credited by `as_of` (one query); `unpaid` lists what
    remained due then, oldest first (credits pay the oldest debts first), and is
    only read when something did (one more query)."""
    totals = (
        account.entries.annotate(when=_ledger_date())
        .filter(when__lte=as_of)
        .aggregate(
            owed=Coalesce(Sum("amount", filter=Q(amount__gt=0)), ZERO),
            credited=Coalesce(Sum("amount", filter=Q(amount__lt=0)), ZERO),
        )
    )
    balance = totals["owed"] + totals["credited"]
    figures = {
        "as_of": as_of.isoformat(),
        "owed": _money(totals["owed"]),
        "credited": _money(-totals["credited"]),
        "balance": _money(balance),
        "unpaid": [],
    }
    if balance > 0:
        figures["unpaid"] = _unpaid(account, as_of, -totals["credited"])
    return figures


def _unpaid(account: Account, as_of: date, credit: Decimal) -> list[dict]:
    debts = (
        account.entries.annotate(when=_ledger_date())
        .filter(when__lte=as_of, amount__gt=0)
        .order_by("when", "pk")
        .values("label", "when", "amount")
    )
    return [
        {
            "label": debt["label"],
            "date": debt["when"].isoformat(),
            "amount": _money(left),
        }
        for debt, left in oldest_first(debts, credit, lambda debt: debt["amount"])
    ]


def statement_figures(account: Account, start: date, end: date) -> dict:
    """Opening balance, every entry from `start` to `end`, closing balance (two
    queries)."""
    entries = account.entries.annotate(when=_ledger_date())
    opening = entries.filter(when__lt=start).aggregate(
        total=Coalesce(Sum("amount"), ZERO)
    )["total"]
    rows = list(
        entries.filter(when__gte=start, when__lte=end)
        .order_by("when", "pk")
        .values("when", "label", "kind", "amount")
    )
    debits = sum((r["amount"] for r in rows if r["amount"] > 0), NOTHING)
    credits = -sum((r["amount"] for r in rows if r["amount"] < 0), NOTHING)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "opening": _money(opening),
        "entries": [
            {
                "date": r["when"].isoformat(),
                "label": r["label"],
                "kind": r["kind"],
                "amount": _money(r["amount"]),
            }
            for r in rows
        ],
        "debits": _money(debits),
        "credits": _money(credits),
        "closing": _money(opening + debits - credits),
    }


def yearly_figures(
    account: Account, year: int, end: date, lot_ids: list[int] | None = None
) -> dict:
    """The year up to `end` (31 December, or today for the current year): the
    balance it opened with, the calls by kind (budget provisions, works, fonds de
    travaux), payments, regularisation and the rest, and the balance at its end
    (four queries, two more without `lot_ids`)."""
    start = date(year, 1, 1)
    entries = account.entries.annotate(when=_ledger_date())
    opening = entries.filter(when__lt=start).aggregate(
        total=Coalesce(Sum("amount"), ZERO)
    )["total"]
    rows = list(
        entries.filter(when__gte=start, when__lte=end).values(
            "kind", "amount", "call_id", "call__kind"
        )
    )
    lines = dict.fromkeys(YEARLY_LINES, NOTHING)
    provisions = []
    for row in rows:
        if row["kind"] == EntryKind.CALL:
            if row["call__kind"] == CallKind.WORKS:
                lines["works"] += row["amount"]
            elif row["call_id"] is None:
                lines["provisions"] += row["amount"]
            else:
                provisions.append(row)
        else:
            lines[_YEARLY_LINE[row["kind"]]] += row["amount"]
    if lot_ids is None:
        lot_ids = notices.owned_lot_ids(account)
    fund = _works_fund_parts(provisions, lot_ids)
    for row in provisions:
        lines["works_fund"] += fund[row["call_id"]]
        lines["provisions"] += row["amount"] - fund[row["call_id"]]
    return {
        "year": year,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "opening": _money(opening),
        "lines": {name: _money(amount) for name, amount in lines.items()},
        "closing": _money(opening + sum(lines.values(), NOTHING)),
    }


_YEARLY_LINE = {
    EntryKind.PAYMENT: "payments",
    EntryKind.REFUND: "refunds",
    EntryKind.ADJUSTMENT: "adjustments",
    EntryKind.REGULARISATION: "regularisation",
    EntryKind.FEE: "fees",
}


def _works_fund_parts(rows: list[dict], lot_ids: list[int]) -> dict[int, Decimal]:
    """The fonds de travaux part of each provision call entry (call id → amount).

    Exact from the shares of the co-owner's lots when they add up to the entry (the
    lots are those the call was issued on); if the lots changed hands since, the
    entry is split in proportion to the call's fonds de travaux (exact to the cent).
    One query whatever the number of calls."""
    if not rows:
        return {}
    mine = Q(lot_id__in=lot_ids)
    shares = {
        s["call_id"]: s
        for s in CallShare.objects.filter(call_id__in=[r["call_id"] for r in rows])
        .values("call_id")
        .annotate(
            mine=Coalesce(Sum("amount", filter=mine), ZERO),
            mine_fund=Coalesce(Sum("amount", filter=mine & Q(works_fund=True)), ZERO),
            fund=Coalesce(Sum("amount", filter=Q(works_fund=True)), ZERO),
            total=Coalesce(Sum("amount"), ZERO),
        )
    }
    parts = {}
    for row in rows:
        share = shares.get(row["call_id"])
        if share is None or not share["fund"]:
            parts[row["call_id"]] = NOTHING
        elif share["mine"] == row["amount"]:
            parts[row["call_id"]] = share["mine_fund"]
        else:
            weights = {
                0: to_cents(share["fund"]),
                1: to_cents(share["total"] - share["fund"]),
            }
            parts[row["call_id"]] = split(row["amount"], weights)[0]
    return parts
