"""Writing money: budgets, the calls for funds they produce, and account entries.

Every amount is split with `allocation.split` (exact to the cent). Entries are
written by `entry_post` (one at a time), or built by `entry_build` and inserted in
bulk (a budget's calls: the same validation, one INSERT for every co-owner).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from residents.access import COUNCIL_ROLES, active_memberships
from residents.models import AllocationKey, LotShare, Residence, Role, User

from .allocation import instalments, split
from .models import (
    Account,
    Budget,
    BudgetLine,
    CallKind,
    CallShare,
    Entry,
    EntryKind,
    FundCall,
)

OWNER_ROLES = [Role.OWNER, *COUNCIL_ROLES]


def account_for(residence: Residence, owner_id: int) -> Account:
    account, _created = Account.objects.get_or_create(
        residence=residence, owner_id=owner_id
    )
    return account


def accounts_for(residence: Residence, owner_ids: Iterable[int]) -> dict[int, Account]:
    """Each owner's account in the residence (created when missing), by owner id:
    two queries whatever their number. The unique constraint one_account_per_owner
    settles a race with another writer."""
    owner_ids = sorted(set(owner_ids))
    if not owner_ids:
        return {}
    Account.objects.bulk_create(
        [Account(residence=residence, owner_id=owner_id) for owner_id in owner_ids],
        ignore_conflicts=True,
    )
    accounts = Account.objects.filter(residence=residence, owner_id__in=owner_ids)
    return {account.owner_id: account for account in accounts}


# Relations are checked by the database's foreign keys: `full_clean` would run one
# query per relation and entry.
_RELATIONS = ["account", "call", "corrects", "created_by"]


def entry_build(
    *,
    account: Account,
    kind: str,
    amount: Decimal,
    label: str,
    on: date | None = None,
    by: User | None = None,
    **extra,
) -> Entry:
    """An entry validated field by field (kind, digits, lengths, dates), not saved:
    for `Entry.objects.bulk_create`. The database still enforces the rest (foreign
    keys, non-zero amount, one entry per call and account, unique `source_ref`)."""
    entry = Entry(
        account=account,
        kind=kind,
        amount=amount,
        label=label,
        on=on or timezone.localdate(),
        created_by=by,
        **extra,
    )
    entry.full_clean(
        exclude=_RELATIONS, validate_unique=False, validate_constraints=False
    )
    return entry


def entry_post(
    *,
    account: Account,
    kind: str,
    amount: Decimal,
    label: str,
    on: date | None = None,
    by: User | None = None,
    **extra,
) -> Entry:
    """Append one entry; a `source_ref` already posted posts nothing (returns it)."""
    entry = entry_build(
        account=account, kind=kind, amount=amount, label=label, on=on, by=by, **extra
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        if entry.source_ref:
            return Entry.objects.get(source_ref=entry.source_ref)
        raise
    return entry


@transaction.atomic
def entry_correct(*, entry: Entry, by: User, reason: str) -> Entry:
    """Cancel an entry by its opposite (entries are never edited)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the entry is corrected.")})
    if entry.corrections.exists():
        raise ValidationError(_("This entry was already corrected."))
    return entry_post(
        account=entry.account,
        kind=EntryKind.ADJUSTMENT,
        amount=-entry.amount,
        label=_("Correction: %(label)s") % {"label": entry.label},
        by=by,
        corrects=entry,
        reason=reason,
    )


@transaction.atomic
def budget_save(
    *,
    residence: Residence,
    year: int,
    lines: Mapping[int, Decimal],
    works_fund: Decimal,
    by: User,
    voted_on: date | None = None,
    instalments_count: int = 4,
) -> Budget:
    """The voted budget: an amount per allocation key id, and the fonds de travaux.

    Refused once its calls are issued (a new AG decision makes an exceptional call
    or a regularisation instead)."""
    budget = Budget.objects.filter(residence=residence, year=year).first()
    if budget is not None and budget.calls.exists():
        raise ValidationError(
            _("The calls of this budget are issued: it can no longer change.")
        )
    keys = set(residence.allocation_keys.values_list("pk", flat=True))
    if any(key not in keys for key in lines):
        raise ValidationError(_("Use the allocation keys of this residence."))
    budget = budget or Budget(residence=residence, year=year, created_by=by)
    budget.works_fund = works_fund
    budget.voted_on = voted_on
    budget.instalments = instalments_count
    budget.full_clean()
    budget.save()
    budget.lines.all().delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(budget=budget, key_id=key, amount=amount)
        for key, amount in lines.items()
        if amount
    )
    return budget


def due_dates(year: int, count: int) -> list[date]:
    """The first day of each period: quarters for 4 (1 Jan, 1 Apr, 1 Jul, 1 Oct)."""
    step = 12 // count
    return [date(year, 1 + step * n, 1) for n in range(count)]


def owners_by_lot(residence: Residence) -> dict[int, int]:
    """Each lot's co-owner (the active owner or council member holding it)."""
    owners = {}
    memberships = (
        active_memberships()
        .filter(residence=residence, role__in=OWNER_ROLES)
        .prefetch_related("lots")
        .order_by("pk")
    )
    for membership in memberships:
        for lot in membership.lots.all():
            owners.setdefault(lot.pk, membership.user_id)
    return owners


def budget_calls_plan(
    budget: Budget,
    *,
    lines: Iterable[BudgetLine],
    units: Mapping[int, Mapping[int, int]],
    general: AllocationKey,
    by: User | None = None,
) -> list[tuple[FundCall, list[CallShare]]]:
    """The budget's calls and their shares, not saved (no query): each key's yearly
    amount in exact instalments, each instalment split between the lots bearing the
    key by their tantièmes (`units`: key id → lot id → tantièmes); the fonds de
    travaux on the general key."""
    parts = [(line.key, line.amount, False) for line in lines]
    if budget.works_fund:
        parts.append((general, budget.works_fund, True))
    if not parts:
        raise ValidationError(_("The budget is empty."))
    count = budget.instalments
    plan = []
    for period, due_on in enumerate(due_dates(budget.year, count), start=1):
        shares = []
        for key, amount, works in parts:
            weights = units.get(key.pk, {})
            if not weights:
                raise ValidationError(
                    _("No lot bears the key “%(key)s”.") % {"key": key.name}
                )
            part = instalments(amount, count)[period - 1]
            key_units = sum(weights.values())
            for lot_id, share in split(part, weights).items():
                if weights[lot_id]:
                    shares.append(
                        CallShare(
                            lot_id=lot_id,
                            key=None if works else key,
                            works_fund=works,
                            units=weights[lot_id],
                            key_units=key_units,
                            amount=share,
                        )
                    )
        call = FundCall(
            residence=budget.residence,
            budget=budget,
            kind=CallKind.PROVISION,
            label=_("Provision %(period)s/%(count)s %(year)s")
            % {"period": period, "count": count, "year": budget.year},
            period=period,
            due_on=due_on,
            total=sum((s.amount for s in shares), Decimal("0.00")),
            issued_by=by,
        )
        plan.append((call, shares))
    return plan


def call_entries_build(
    call: FundCall,
    shares: Iterable[CallShare],
    *,
    owners: Mapping[int, int],
    accounts: Mapping[int, Account],
    by: User | None = None,
    on: date | None = None,
) -> list[Entry]:
    """One entry per co-owner bearing the call (`owners`: lot id → owner id;
    `accounts`: owner id → account): the sum of their lots' shares."""
    per_owner: dict[int, Decimal] = defaultdict(Decimal)
    for share in shares:
        owner = owners.get(share.lot_id)
        if owner is not None:
            per_owner[owner] += share.amount
    return [
        entry_build(
            account=accounts[owner_id],
            kind=EntryKind.CALL,
            amount=amount,
            label=call.label,
            on=on,
            due_on=call.due_on,
            call=call,
            by=by,
        )
        for owner_id, amount in per_owner.items()
        if amount
    ]


def lot_units(residence: Residence) -> dict[int, dict[int, int]]:
    """Every lot's tantièmes in the residence: key id → lot id → units (one query)."""
    units: dict[int, dict[int, int]] = defaultdict(dict)
    for key_id, lot_id, value in LotShare.objects.filter(
        lot__residence=residence
    ).values_list("key_id", "lot_id", "units"):
        units[key_id][lot_id] = value
    return units


@transaction.atomic
def budget_calls_issue(*, budget: Budget, by: User) -> list[FundCall]:
    """Issue the budget's provisional calls (see `budget_calls_plan`) and post one
    ledger entry per co-owner and call. Issuing twice issues nothing new.

    A fixed number of queries whatever the number of lots and co-owners: the calls,
    their shares and their entries are each inserted in one statement (and the
    unique constraint one_call_entry_per_account stands behind the lock)."""
    budget = (
        Budget.objects.select_for_update(of=("self",))
        .select_related("residence")
        .get(pk=budget.pk)
    )
    if budget.calls.exists():
        return list(budget.calls.order_by("period"))
    residence = budget.residence
    general = residence.allocation_keys.get(is_general=True)
    plan = budget_calls_plan(
        budget,
        lines=budget.lines.select_related("key"),
        units=lot_units(residence),
        general=general,
        by=by,
    )
    owners = owners_by_lot(residence)
    # Accounts for the co-owners billed something (shares are never negative).
    billed = {
        owners[share.lot_id]
        for _call, shares in plan
        for share in shares
        if share.amount and share.lot_id in owners
    }
    accounts = accounts_for(residence, billed)
    calls = FundCall.objects.bulk_create([call for call, _shares in plan])
    entries = []
    for call, shares in plan:
        for share in shares:
            share.call = call
        entries += call_entries_build(
            call, shares, owners=owners, accounts=accounts, by=by
        )
    CallShare.objects.bulk_create([s for _call, shares in plan for s in shares])
    Entry.objects.bulk_create(entries)
    return calls
