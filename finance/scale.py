"""Ten years of charges in the generated residences, for benchmarks: a million ledger
entries in a few minutes.

Each generated residence (`seed_demo --scale N`, slug "scale-…") gets a budget a year
for ten years ending this year (growing 3 % a year, on the general and lift keys, the
fonds de travaux at 5 %), its four quarterly calls split by
`services.budget_calls_plan`, one call entry per co-owner and call built by
`services.call_entries_build` (issued on 1 December of the year before, like the
service posts them), and the co-owners' payments of every call already due: by
transfer, direct debit, card or cheque, some late, and a few co-owners still owe
their last calls.

The entries asked for are shared evenly between the generated residences. A realistic
history is about 80 to 100 entries per co-owner (forty calls, each paid once or
twice): a million entries fit about 100 generated residences of 120 lots. With fewer
residences the co-owners pay each call in more instalments (with 3, some 3,500
entries each: denser than life, so the pages are measured on heavier ledgers than
real, which errs on the safe side).

Written fast: budgets, calls and shares with bulk_create, entries with PostgreSQL's
COPY (the append-only trigger refuses only UPDATE and DELETE), one transaction per
residence for its calls and one per `BATCH_SIZE` payments. Each residence's entries
come in a fixed order, its call entries first, so a second run skips what exists:
the total is exact and running again adds nothing once it is reached. Topping up to
a larger total keeps the count exact and every call entry once, but the payments
added then follow the denser plan (they may no longer settle exactly the calls). No
notification is sent and no `Payment` row is made (posted transfers need none).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone

from residents.models import Residence, User

from . import services
from .allocation import instalments, percent_of
from .models import Budget, BudgetLine, CallShare, Entry, EntryKind, FundCall

YEARS = 10
BATCH_SIZE = 50_000
GROWTH = Decimal("1.03")
GENERAL_PER_LOT = Decimal("1150")  # € a year and lot, the first year
LIFT_PER_LOT = Decimal("90")  # € a year and lot bearing the lift
WORKS_FUND_PERCENT = Decimal("5")
# How each co-owner pays (by their rank): label, days from the due date.
STYLES = [
    ("Virement reçu", -12),
    ("Prélèvement SEPA", 0),
    ("Paiement en ligne", -20),
    ("Chèque remis", 18),
]
ARREARS_EVERY = 13  # one co-owner in 13 still owes their last one to three calls
SPREAD_DAYS = 90  # several instalments of a call: over a quarter from 30 days before

COLUMNS = (
    "account_id",
    "kind",
    "amount",
    "label",
    "on",
    "due_on",
    "call_id",
    "reason",
    "source_ref",
    "created_by_id",
    "created_at",
)


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9)))


def _issued_on(year: int) -> date:
    return date(year - 1, 12, 1)


@dataclass
class _Ledger:
    """One residence's ten years: the calls (unsaved until needed) and the call
    entries, in their fixed order."""

    residence: Residence
    manager: User | None
    years: list[int]
    budgets: list[tuple[Budget, list[BudgetLine]]]
    plans: list[list[tuple[FundCall, list[CallShare]]]]  # per year, per period
    owners: list[int]  # owner ids, in rank order
    call_entries: list[Entry]


def _ledger(residence: Residence, first_year: int) -> _Ledger:
    """Budgets, calls and call entries of the residence's ten years, not saved."""
    employee = residence.syndic.employees.select_related("user").first()
    manager = employee.user if employee else None
    keys = {key.code: key for key in residence.allocation_keys.all()}
    general = next(key for key in keys.values() if key.is_general)
    lift = keys.get("ascenseur")
    units = services.lot_units(residence)
    owners = services.owners_by_lot(residence)
    accounts = services.accounts_for(residence, owners.values())
    lots = len(units[general.pk])
    lift_lots = len(units.get(lift.pk, {})) if lift else 0
    years = list(range(first_year, first_year + YEARS))
    budgets, plans, call_entries = [], [], []
    for n, year in enumerate(years):
        growth = GROWTH**n
        amounts = {general: (lots * GENERAL_PER_LOT * growth).quantize(Decimal(100))}
        if lift_lots:
            amounts[lift] = (lift_lots * LIFT_PER_LOT * growth).quantize(Decimal(10))
        budget = Budget(
            residence=residence,
            year=year,
            voted_on=date(year - 1, 6, 15),
            works_fund=percent_of(sum(amounts.values()), WORKS_FUND_PERCENT),
            created_by=manager,
            created_at=_at(date(year - 1, 6, 15)),
        )
        lines = [
            BudgetLine(budget=budget, key=key, amount=amount)
            for key, amount in amounts.items()
        ]
        plan = services.budget_calls_plan(
            budget, lines=lines, units=units, general=general, by=manager
        )
        for call, _shares in plan:
            call.issued_at = _at(_issued_on(year))
        budgets.append((budget, lines))
        plans.append(plan)
        for call, shares in plan:
            call_entries += services.call_entries_build(
                call,
                shares,
                owners=owners,
                accounts=accounts,
                by=manager,
                on=_issued_on(year),
            )
    return _Ledger(
        residence=residence,
        manager=manager,
        years=years,
        budgets=budgets,
        plans=plans,
        owners=sorted(set(owners.values())),
        call_entries=call_entries,
    )


def _save_calls(ledger: _Ledger) -> None:
    """Create the budgets, calls and shares still missing; every planned call then
    carries its id (one residence's worth of bulk inserts)."""
    existing = {
        (year, period): pk
        for year, period, pk in FundCall.objects.filter(
            residence=ledger.residence, budget__year__in=ledger.years
        ).values_list("budget__year", "period", "pk")
    }
    missing = [
        index
        for index, year in enumerate(ledger.years)
        if not any((year, call.period) in existing for call, _ in ledger.plans[index])
    ]
    if missing:
        Budget.objects.bulk_create([ledger.budgets[i][0] for i in missing])
        BudgetLine.objects.bulk_create(
            [line for i in missing for line in ledger.budgets[i][1]]
        )
        FundCall.objects.bulk_create(
            [call for i in missing for call, _shares in ledger.plans[i]]
        )
        shares = []
        for i in missing:
            for call, call_shares in ledger.plans[i]:
                for share in call_shares:
                    share.call = call
                shares += call_shares
        CallShare.objects.bulk_create(shares, batch_size=BATCH_SIZE)
    for index, year in enumerate(ledger.years):
        for call, _shares in ledger.plans[index]:
            if call.pk is None:
                call.pk = existing[(year, call.period)]


def _call_row(entry: Entry) -> tuple:
    return (
        entry.account_id,
        entry.kind,
        entry.amount,
        entry.label,
        entry.on,
        entry.due_on,
        entry.call.pk,
        entry.reason,
        entry.source_ref,
        entry.created_by_id,
        _at(entry.on),
    )


def _payment_rows(ledger: _Ledger, target: int, today: date) -> Iterator[tuple]:
    """The payments of every call already due, oldest call first, numbered after
    the call entries; as many as make the residence's plan `target` entries (at
    least one per call paid)."""
    due = []
    for entries_of_year in _entries_by_call(ledger):
        for call, entries in entries_of_year:
            if call.due_on <= today:
                due.append((call, entries))
    arrears = {}
    last_due = [id(call) for call, _entries in due[-3:]]
    for rank, owner in enumerate(ledger.owners):
        if rank % ARREARS_EVERY == 7:
            arrears[owner] = set(last_due[-(1 + rank % 3) :])
    rank_of = {owner: rank for rank, owner in enumerate(ledger.owners)}
    pairs = [
        (call, entry)
        for call, entries in due
        for entry in entries
        if id(call) not in arrears.get(entry.account.owner_id, ())
    ]
    if not pairs:
        return
    wanted = max(target - len(ledger.call_entries), len(pairs))
    position = len(ledger.call_entries)
    slug = ledger.residence.slug
    manager_id = ledger.manager.pk if ledger.manager else None
    for index, (call, entry) in enumerate(pairs):
        # Spread `wanted` payments over the pairs as evenly as integers allow.
        count = (index + 1) * wanted // len(pairs) - index * wanted // len(pairs)
        # (Never fewer cents than instalments with the generated budgets.)
        parts = instalments(entry.amount, min(count, int(entry.amount * 100)))
        rank = rank_of[entry.account.owner_id]
        label, offset = STYLES[rank % len(STYLES)]
        for n, part in enumerate(parts):
            if len(parts) == 1:
                on = call.due_on + timedelta(days=offset + rank % 7)
            else:
                days = -30 + SPREAD_DAYS * n // len(parts) + rank % 5
                on = call.due_on + timedelta(days=days)
            on = min(on, today)
            yield (
                entry.account_id,
                EntryKind.PAYMENT,
                -part,
                label,
                on,
                None,
                None,
                "",
                f"scale:{slug}:{position}",
                None if label == "Paiement en ligne" else manager_id,
                _at(on),
            )
            position += 1


def _entries_by_call(ledger: _Ledger) -> Iterator[list[tuple[FundCall, list[Entry]]]]:
    per_call: dict[int, list[Entry]] = {}
    for entry in ledger.call_entries:
        per_call.setdefault(id(entry.call), []).append(entry)
    for plan in ledger.plans:
        yield [(call, per_call.get(id(call), [])) for call, _shares in plan]


def _copy(rows: Sequence[tuple]) -> None:
    columns = ", ".join(connection.ops.quote_name(column) for column in COLUMNS)
    sql = f"COPY finance_entry ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _fill(
    ledger: _Ledger, *, target: int, have: int, add: int, today: date, progress
) -> int:
    """Write the residence's entries from position `have` on, `add` of them."""
    added = 0
    calls = len(ledger.call_entries)
    with transaction.atomic():
        _save_calls(ledger)
        if have < calls:
            rows = [_call_row(e) for e in ledger.call_entries[have : have + add]]
            _copy(rows)
            added += len(rows)
    if progress is not None and added:
        progress(added)
    skip = max(have - calls, 0)
    batch: list[tuple] = []
    for row in _payment_rows(ledger, target, today):
        if added >= add:
            break
        if skip:
            skip -= 1
            continue
        batch.append(row)
        added += 1
        if len(batch) == BATCH_SIZE:
            with transaction.atomic():
                _copy(batch)
            batch.clear()
            if progress is not None:
                progress(added)
    if batch:
        with transaction.atomic():
            _copy(batch)
        if progress is not None:
            progress(added)
    return added


def seed_entries(
    total: int,
    *,
    residences: Sequence[Residence] | None = None,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Fill the generated residences (or `residences`) until their ledgers hold
    `total` entries in all, shared evenly; return how many were added (0 once
    reached)."""
    if residences is None:
        residences = list(
            Residence.objects.filter(slug__startswith="scale-")
            .select_related("syndic")
            .order_by("pk")
        )
    if not residences or total <= 0:
        return 0
    today = today or timezone.localdate()
    have = dict(
        Entry.objects.filter(account__residence__in=residences)
        .values_list("account__residence")
        .annotate(n=Count("pk"))
        .values_list("account__residence", "n")
    )
    missing = total - sum(have.values())
    if missing <= 0:
        return 0
    first_years = dict(
        Budget.objects.filter(residence__in=residences)
        .values_list("residence")
        .annotate(first=Min("year"))
        .values_list("residence", "first")
    )
    share, extra = divmod(total, len(residences))
    added = 0
    for rank, residence in enumerate(residences):
        target = share + (1 if rank < extra else 0)
        present = have.get(residence.pk, 0)
        add = min(target - present, missing - added)
        if add <= 0:
            continue
        first = first_years.get(residence.pk, today.year - YEARS + 1)
        ledger = _ledger(residence, first)

        def report(count: int, before: int = added) -> None:
            if progress is not None:
                progress(before + count)

        added += _fill(
            ledger,
            target=target,
            have=present,
            add=add,
            today=today,
            progress=report,
        )
        if added >= missing:
            break
    with connection.cursor() as cursor:
        # Fresh statistics, or the planner misjudges the new volume.
        for table in ("finance_entry", "finance_callshare", "finance_account"):
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 (constant names)
    return added
