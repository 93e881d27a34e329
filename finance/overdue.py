"""What the residence's co-owners owe past the due date, for the council and the
syndic (issue #6 §4): the total, and the names only where the residence's rules
allow the council to see them (`ReminderPolicy.council_sees_debtors`; the syndic,
who keeps the accounts, always does).

Overdue, per account: what is owed on debits dated before today (a debit's date is
its due date, else the day it was posted) that the account's credits do not cover;
credits settle the oldest debts first, so that is the debits dated before today
minus every credit, when positive. Two queries whatever the number of accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from residents.access import Perm, Standing

from .models import Account, ReminderPolicy

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)


@dataclass(frozen=True)
class Debtor:
    name: str
    amount: Decimal


@dataclass(frozen=True)
class Overdue:
    as_of: date
    total: Decimal
    count: int  # accounts in arrears
    debtors: list[Debtor] | None  # None: the names are not for this member


def sees_overdue(standing: Standing) -> bool:
    """The council and the syndic see the residence's overdue total."""
    return standing.is_council or standing.can(Perm.MANAGE_FINANCE)


def sees_debtors(standing: Standing, policy: ReminderPolicy | None) -> bool:
    if standing.can(Perm.MANAGE_FINANCE):
        return True
    return standing.is_council and policy is not None and policy.council_sees_debtors


def accounts_overdue(residence_id: int, today: date):
    """The residence's accounts in arrears with `overdue` (one query), the largest
    first."""
    past = Q(entries__amount__gt=0) & (
        Q(entries__due_on__lt=today)
        | Q(entries__due_on__isnull=True, entries__on__lt=today)
    )
    return (
        Account.objects.filter(residence_id=residence_id)
        .annotate(
            debts=Coalesce(Sum("entries__amount", filter=past), ZERO),
            credits=Coalesce(
                Sum("entries__amount", filter=Q(entries__amount__lt=0)), ZERO
            ),
        )
        .annotate(overdue=F("debts") + F("credits"))
        .filter(overdue__gt=0)
        .order_by("-overdue", "owner__last_name", "owner__first_name", "pk")
    )


def council_overdue(
    standing: Standing,
    today: date | None = None,
    policy: ReminderPolicy | None = None,
) -> Overdue | None:
    """The overdue total of the member's residence (None for those who may not see
    it), with the debtors' names when allowed; two queries (one when the caller
    already holds the residence's `policy`)."""
    if not sees_overdue(standing):
        return None
    today = today or timezone.localdate()
    if policy is None:
        policy = ReminderPolicy.objects.filter(residence=standing.residence).first()
    names = sees_debtors(standing, policy)
    accounts = accounts_overdue(standing.residence.pk, today)
    rows = list(accounts.select_related("owner") if names else accounts)
    debtors = None
    if names:
        debtors = [
            Debtor(row.owner.get_full_name() or row.owner.email, row.overdue)
            for row in rows
        ]
    return Overdue(
        as_of=today,
        total=sum((row.overdue for row in rows), Decimal("0.00")),
        count=len(rows),
        debtors=debtors,
    )
