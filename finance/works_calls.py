"""Exceptional calls: works voted at an AG, called on their own schedule.

A works call is one `WorksCall` and one `FundCall` (kind WORKS) per instalment.
The schedule's amounts add up to the works' total exactly, and each instalment is
split exactly between the lots bearing the AG's key by their tantièmes
(`allocation.split`, DOMAIN.md §4). Each co-owner gets one ledger entry per
instalment, through `services.entry_post`.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from residents.models import AllocationKey, LotShare, Residence, User

from . import services
from .allocation import instalments, split, to_cents
from .models import CallKind, CallShare, Entry, FundCall, WorksCall
from .tasks import notify_calls_issued

MAX_INSTALMENTS = 60
HUNDRED = Decimal("100")


class Instalment(NamedTuple):
    """One instalment as the syndic gives it: its due date and either an amount in
    euros or a percentage of the works' total (`Instalment(d, Decimal("500"))` or
    `Instalment(d, percent=Decimal("25"))`)."""

    due_on: date
    amount: Decimal | None = None
    percent: Decimal | None = None


def add_months(day: date, months: int) -> date:
    """The same day `months` later, kept inside shorter months (31 Jan + 1 → 28 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def equal_schedule(
    total: Decimal, count: int, first_due: date, every_months: int
) -> list[Instalment]:
    """`count` equal instalments from `first_due`, one every `every_months` months;
    the first ones take the odd cents so that they add up to `total` exactly."""
    if not 1 <= count <= MAX_INSTALMENTS:
        raise ValidationError(
            _("Between 1 and %(max)s instalments.") % {"max": MAX_INSTALMENTS}
        )
    if every_months < 1:
        raise ValidationError(_("At least one month between two instalments."))
    amounts = instalments(total, count)
    return [
        Instalment(add_months(first_due, n * every_months), amount)
        for n, amount in enumerate(amounts)
    ]


def _cents(value: Decimal, message: str) -> int:
    try:
        return to_cents(value)
    except ValueError:
        raise ValidationError(message) from None


def schedule_amounts(
    total: Decimal, schedule: Sequence[Instalment], *, decided_on: date | None = None
) -> list[tuple[date, Decimal]]:
    """The schedule as (due date, amount) in date order, checked: amounts that add up
    to `total` exactly, or percentages that add up to exactly 100 (turned into
    amounts with `split`, so that they too add up to the cent). Raises
    ValidationError with the reason otherwise."""
    schedule = [Instalment(*item) for item in schedule]
    if not schedule:
        raise ValidationError(_("Give at least one instalment."))
    if len(schedule) > MAX_INSTALMENTS:
        raise ValidationError(
            _("At most %(max)s instalments.") % {"max": MAX_INSTALMENTS}
        )
    total_cents = _cents(total, _("The total has at most two decimals."))
    if total_cents <= 0:
        raise ValidationError(_("The total must be more than zero."))
    if any((i.amount is None) == (i.percent is None) for i in schedule):
        raise ValidationError(_("Each instalment needs an amount or a percentage."))
    by_percent = schedule[0].percent is not None
    if any((i.percent is not None) != by_percent for i in schedule):
        raise ValidationError(
            _("Give every instalment as an amount or every one as a percentage.")
        )
    dates = [i.due_on for i in schedule]
    for day in dates:
        if dates.count(day) > 1:
            raise ValidationError(
                _("Two instalments fall due on %(date)s: give each its own date.")
                % {"date": formats.date_format(day, "SHORT_DATE_FORMAT")}
            )
        if decided_on and day < decided_on:
            raise ValidationError(
                _("An instalment cannot fall due before the AG's vote (%(date)s).")
                % {"date": formats.date_format(decided_on, "SHORT_DATE_FORMAT")}
            )
    if by_percent:
        weights = {}
        for n, item in enumerate(schedule):
            hundredths = _cents(
                item.percent, _("Percentages have at most two decimals.")
            )
            if hundredths <= 0:
                raise ValidationError(_("Each instalment must be more than zero."))
            weights[n] = hundredths
        if sum(weights.values()) != 100 * 100:
            raise ValidationError(
                _("The percentages add up to %(sum)s %%, not 100 %%.")
                % {"sum": sum(i.percent for i in schedule)}
            )
        shares = split(total, weights)
        amounts = [shares[n] for n in range(len(schedule))]
        if any(amount <= 0 for amount in amounts):
            raise ValidationError(
                _("An instalment would be 0.00 €: use fewer instalments.")
            )
    else:
        amounts = []
        for item in schedule:
            if _cents(item.amount, _("Amounts have at most two decimals.")) <= 0:
                raise ValidationError(_("Each instalment must be more than zero."))
            amounts.append(item.amount)
        called = sum(amounts, Decimal("0.00"))
        if called != total:
            raise ValidationError(
                _(
                    "The instalments add up to %(sum)s €, not to the total of "
                    "%(total)s € (%(gap)s € apart)."
                )
                % {"sum": called, "total": total, "gap": abs(total - called)}
            )
    return sorted(zip(dates, amounts, strict=True))


@transaction.atomic
def works_call_create(
    *,
    residence: Residence,
    label: str,
    decided_on: date,
    key: AllocationKey,
    total: Decimal,
    schedule: Sequence[Instalment],
    by: User | None,
) -> WorksCall:
    """Call works voted at an AG: one call (kind WORKS) per instalment of the
    schedule, each split exactly between the lots bearing `key`, and one ledger
    entry per co-owner and call; the co-owners are notified once committed.

    A second submission of the same decision (same label, AG date, key, total and
    schedule) creates nothing and returns the first; the same decision on another
    schedule is refused (its calls are already in the ledgers)."""
    label = " ".join(label.split())
    if not label:
        raise ValidationError({"label": _("Name the works.")})
    if key.residence_id != residence.pk:
        raise ValidationError(_("Use the allocation keys of this residence."))
    if decided_on > timezone.localdate():
        raise ValidationError(
            {"decided_on": _("The AG's vote cannot be in the future.")}
        )
    plan = schedule_amounts(total, schedule, decided_on=decided_on)
    # Two submissions at once: the second waits here, then finds the first.
    AllocationKey.objects.select_for_update().get(pk=key.pk)
    existing = (
        WorksCall.objects.filter(
            residence=residence,
            label=label,
            decided_on=decided_on,
            key=key,
            total=total,
        )
        .order_by("pk")
        .first()
    )
    if existing is not None:
        issued = list(existing.calls.order_by("period").values_list("due_on", "total"))
        if issued == plan:
            return existing
        raise ValidationError(
            _(
                "These works were already called on another schedule: their calls "
                "are in the co-owners' accounts."
            )
        )
    weights = dict(LotShare.objects.filter(key=key).values_list("lot_id", "units"))
    if not weights:
        raise ValidationError(_("No lot bears the key “%(key)s”.") % {"key": key.name})
    works = WorksCall(
        residence=residence,
        label=label,
        decided_on=decided_on,
        key=key,
        total=total,
        created_by=by,
    )
    works.full_clean()
    works._history_user = by
    works.save()
    key_units = sum(weights.values())
    owners = services.owners_by_lot(residence)
    accounts = services.accounts_for(
        residence, {owners[lot] for lot in weights if lot in owners}
    )
    calls = []
    count = len(plan)
    for period, (due_on, amount) in enumerate(plan, start=1):
        call = FundCall.objects.create(
            residence=residence,
            works=works,
            kind=CallKind.WORKS,
            label=_("%(works)s — instalment %(period)s/%(count)s")
            % {"works": label, "period": period, "count": count},
            period=period,
            due_on=due_on,
            total=amount,
            issued_by=by,
        )
        shares = [
            CallShare(
                call=call,
                lot_id=lot_id,
                key=key,
                units=weights[lot_id],
                key_units=key_units,
                amount=share,
            )
            for lot_id, share in split(amount, weights).items()
        ]
        CallShare.objects.bulk_create(shares)
        # Lots whose owner is not on the platform yet have their share, no entry.
        Entry.objects.bulk_create(
            services.call_entries_build(
                call, shares, owners=owners, accounts=accounts, by=by
            )
        )
        calls.append(call)
    ids = [call.pk for call in calls]
    transaction.on_commit(lambda: notify_calls_issued.delay(ids))
    return works
