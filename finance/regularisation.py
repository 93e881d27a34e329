"""Year-end regularisation (DOMAIN.md §4).

Once the AG has approved the year's accounts, the syndic enters the actual expenses
per allocation key (`closing_save`, editable until posted). Each lot's actual share
is that amount split with `allocation.split` over the key's tantièmes; it is compared
with the budget provisions called on the lot on the same key. The fonds de travaux
is not regularised: its shares are left out (it is a reserve, not a provision for
expenses). Works calls are not either (they are not the budget's).

`closing_post` posts one REGULARISATION entry per co-owner with their net
difference (positive: owed; negative: credited), to the co-owner holding the lot on
the day it is posted, as for the calls.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notify
from residents.models import AllocationKey, Category, Lot, LotShare, User

from . import services
from .allocation import split, to_cents
from .models import (
    Budget,
    CallKind,
    CallShare,
    ClosingLine,
    Entry,
    EntryKind,
    FundCall,
    YearClosing,
)

ZERO = Decimal("0.00")


@dataclass
class KeyPart:
    """A lot's provisions and actual share on one key."""

    key: AllocationKey
    units: int
    provisions: Decimal = ZERO
    actual: Decimal = ZERO

    @property
    def difference(self) -> Decimal:
        return self.actual - self.provisions


@dataclass
class LotRow:
    lot: Lot
    owner_id: int | None
    parts: list[KeyPart] = field(default_factory=list)

    @property
    def provisions(self) -> Decimal:
        return sum((p.provisions for p in self.parts), ZERO)

    @property
    def actual(self) -> Decimal:
        return sum((p.actual for p in self.parts), ZERO)

    @property
    def difference(self) -> Decimal:
        return self.actual - self.provisions


@dataclass
class OwnerRow:
    owner: User
    lots: list[LotRow] = field(default_factory=list)
    entry: Entry | None = None  # once posted

    @property
    def provisions(self) -> Decimal:
        return sum((lot.provisions for lot in self.lots), ZERO)

    @property
    def actual(self) -> Decimal:
        return sum((lot.actual for lot in self.lots), ZERO)

    @property
    def difference(self) -> Decimal:
        return self.actual - self.provisions


@dataclass
class KeyTotal:
    key: AllocationKey
    key_units: int
    provisions: Decimal
    actual: Decimal

    @property
    def difference(self) -> Decimal:
        return self.actual - self.provisions


@dataclass
class ClosingPreview:
    closing: YearClosing
    keys: list[KeyTotal]
    lots: list[LotRow]
    owners: list[OwnerRow]
    # Lots whose owner is not on the platform: computed, not posted.
    unowned: list[LotRow]
    # Why it cannot be posted as it is (e.g. an expense on a key no lot bears).
    problems: list[str]

    @property
    def provisions(self) -> Decimal:
        return sum((k.provisions for k in self.keys), ZERO)

    @property
    def actual(self) -> Decimal:
        return sum((k.actual for k in self.keys), ZERO)

    @property
    def difference(self) -> Decimal:
        return self.actual - self.provisions

    @property
    def to_post(self) -> list[OwnerRow]:
        return [row for row in self.owners if row.difference]


def source_ref(closing: YearClosing, account_id: int) -> str:
    return f"regul:{closing.pk}:{account_id}"


@transaction.atomic
def closing_save(
    *,
    budget: Budget,
    approved_on: date,
    actuals: Mapping[int, Decimal],
    by: User | None,
) -> YearClosing:
    """Record the accounts approved by the AG: the actual expenses per allocation key
    id (a key left out or at zero had no expense). Refused once posted."""
    budget = Budget.objects.select_for_update().get(pk=budget.pk)
    # Locked too: a posting under way finishes first, then this sees it posted.
    closing = YearClosing.objects.select_for_update().filter(budget=budget).first()
    if closing is not None and closing.posted_at:
        raise ValidationError(
            _(
                "The regularisation is posted: the approved accounts can no "
                "longer change."
            )
        )
    if approved_on <= date(budget.year, 12, 31):
        raise ValidationError(
            {
                "approved_on": _(
                    "The accounts of %(year)s are approved after the year ends."
                )
                % {"year": budget.year}
            }
        )
    keys = {key.pk: key for key in budget.residence.allocation_keys.all()}
    if any(key_id not in keys for key_id in actuals):
        raise ValidationError(_("Use the allocation keys of this residence."))
    for amount in actuals.values():
        try:
            cents = to_cents(amount)
        except ValueError:
            raise ValidationError(_("Amounts have at most two decimals.")) from None
        if cents < 0:
            raise ValidationError(_("An actual expense cannot be negative."))
    spent = [key_id for key_id, amount in actuals.items() if amount]
    borne = set(
        LotShare.objects.filter(key_id__in=spent).values_list("key_id", flat=True)
    )
    for key_id in spent:
        if key_id not in borne:
            raise ValidationError(
                _("No lot bears the key “%(key)s”.") % {"key": keys[key_id].name}
            )
    closing = closing or YearClosing(budget=budget)
    closing.approved_on = approved_on
    closing.full_clean()
    closing._history_user = by
    closing.save()
    closing.lines.all().delete()
    ClosingLine.objects.bulk_create(
        ClosingLine(closing=closing, key_id=key_id, actual=actuals[key_id])
        for key_id in spent
    )
    return closing


def closing_preview(closing: YearClosing) -> ClosingPreview:
    """Per key, per lot and per co-owner: provisions called, actual share and the
    difference (positive: owed). Seven queries whatever the number of lots."""
    budget = closing.budget
    residence = budget.residence
    keys = {key.pk: key for key in residence.allocation_keys.all()}
    actuals = dict(closing.lines.values_list("key_id", "actual"))
    provisions: dict[int, dict[int, Decimal]] = defaultdict(dict)  # lot → key → €
    rows = (
        CallShare.objects.filter(
            call__budget=budget, call__kind=CallKind.PROVISION, works_fund=False
        )
        .values("lot_id", "key_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in rows:
        provisions[row["lot_id"]][row["key_id"]] = row["total"]
    used = set(actuals) | {k for mine in provisions.values() for k in mine}
    units: dict[int, dict[int, int]] = defaultdict(dict)  # key → lot → units
    for lot_id, key_id, count in LotShare.objects.filter(key_id__in=used).values_list(
        "lot_id", "key_id", "units"
    ):
        units[key_id][lot_id] = count
    problems = []
    actual: dict[int, dict[int, Decimal]] = defaultdict(dict)  # lot → key → €
    for key_id, amount in actuals.items():
        if not units[key_id]:
            problems.append(
                _("No lot bears the key “%(key)s”: its expenses cannot be shared.")
                % {"key": keys[key_id].name}
            )
            continue
        for lot_id, share in split(amount, units[key_id]).items():
            actual[lot_id][key_id] = share
    owners = services.owners_by_lot(residence)
    lot_ids = set(provisions) | set(actual)
    order = sorted(keys.values(), key=lambda k: (not k.is_general, k.name))
    lots = []
    for lot in Lot.objects.filter(pk__in=lot_ids).order_by("number"):
        row = LotRow(lot=lot, owner_id=owners.get(lot.pk))
        for key in order:
            if key.pk in used and (
                key.pk in provisions[lot.pk] or key.pk in actual[lot.pk]
            ):
                row.parts.append(
                    KeyPart(
                        key=key,
                        units=units[key.pk].get(lot.pk, 0),
                        provisions=provisions[lot.pk].get(key.pk, ZERO),
                        actual=actual[lot.pk].get(key.pk, ZERO),
                    )
                )
        lots.append(row)
    key_totals = [
        KeyTotal(
            key=key,
            key_units=sum(units[key.pk].values()),
            provisions=sum(
                (mine.get(key.pk, ZERO) for mine in provisions.values()), ZERO
            ),
            actual=sum((mine.get(key.pk, ZERO) for mine in actual.values()), ZERO),
        )
        for key in order
        if key.pk in used
    ]
    people = {
        user.pk: user
        for user in User.objects.filter(pk__in={r.owner_id for r in lots} - {None})
    }
    posted = {
        entry.account.owner_id: entry
        for entry in Entry.objects.filter(
            account__residence=residence,
            kind=EntryKind.REGULARISATION,
            source_ref__startswith=source_ref(closing, ""),
        ).select_related("account")
    }
    per_owner: dict[int, OwnerRow] = {}
    for row in lots:
        if row.owner_id is not None:
            per_owner.setdefault(
                row.owner_id,
                OwnerRow(owner=people[row.owner_id], entry=posted.get(row.owner_id)),
            ).lots.append(row)
    return ClosingPreview(
        closing=closing,
        keys=key_totals,
        lots=lots,
        owners=sorted(
            per_owner.values(),
            key=lambda r: (r.owner.last_name, r.owner.first_name, r.owner.email),
        ),
        unowned=[row for row in lots if row.owner_id is None],
        problems=problems,
    )


@transaction.atomic
def closing_post(*, closing: YearClosing, by: User | None) -> list[Entry]:
    """Post each co-owner's net difference as one REGULARISATION entry (none when
    it is zero). Refused before the budget's calls are issued and while the preview
    has a problem; posting twice posts nothing new (the closing is locked, then
    every entry has a unique source reference)."""
    closing = (
        YearClosing.objects.select_for_update()
        .select_related("budget__residence")
        .get(pk=closing.pk)
    )
    budget = closing.budget
    if closing.posted_at:
        return list(
            Entry.objects.filter(
                source_ref__startswith=source_ref(closing, "")
            ).order_by("pk")
        )
    if not FundCall.objects.filter(budget=budget).exists():
        raise ValidationError(
            _("Issue the calls of the budget %(year)s before regularising it.")
            % {"year": budget.year}
        )
    preview = closing_preview(closing)
    if preview.problems:
        raise ValidationError(preview.problems)
    today = timezone.localdate()
    entries = []
    for row in preview.to_post:
        account = services.account_for(budget.residence, row.owner.pk)
        entries.append(
            services.entry_post(
                account=account,
                kind=EntryKind.REGULARISATION,
                amount=row.difference,
                label=_(
                    "Year-end regularisation %(year)s: actual charges %(actual)s € "
                    "− provisions %(provisions)s €"
                )
                % {
                    "year": budget.year,
                    "actual": row.actual,
                    "provisions": row.provisions,
                },
                on=today,
                source_ref=source_ref(closing, account.pk),
                by=by,
            )
        )
    closing.posted_at = timezone.now()
    closing.posted_by = by
    closing._history_user = by
    closing.save(update_fields=["posted_at", "posted_by"])
    _notify_posted(budget, entries)
    return entries


def _notify_posted(budget, entries: list[Entry]) -> None:
    residence = budget.residence
    url = reverse("finance:account", args=[residence.slug])
    for entry in entries:
        notify(
            recipients=[entry.account.owner_id],
            category=Category.CHARGES,
            template="regularisation_posted",
            context={
                "residence": residence.name,
                "year": budget.year,
                "owed": entry.amount > 0,
                "amount": f"{abs(entry.amount):.2f}",
            },
            url=url,
            residence=residence,
        )
