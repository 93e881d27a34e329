"""Reading money: a co-owner's account, its balance and what each call was made of."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import (
    DecimalField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from residents.access import Standing

from .models import Account, CallShare, Entry, EntryKind

ZERO = Value(
    Decimal("0.00"), output_field=DecimalField(max_digits=12, decimal_places=2)
)


def account_of(standing: Standing) -> Account | None:
    return Account.objects.filter(
        residence=standing.residence, owner=standing.user
    ).first()


def balance(account: Account, today: date | None = None) -> dict[str, Decimal]:
    """What the co-owner owes now, what falls due later, and the total (one query).
    Positive: owed; negative: in credit."""
    today = today or timezone.localdate()
    due_now = Q(due_on__isnull=True) | Q(due_on__lte=today)
    return account.entries.aggregate(
        total=Coalesce(Sum("amount"), ZERO),
        due_now=Coalesce(Sum("amount", filter=due_now), ZERO),
        upcoming=Coalesce(Sum("amount", filter=~due_now), ZERO),
    )


def call_entries(account: Account, lot_ids: list[int]) -> QuerySet[Entry]:
    """The account's calls, newest first, each with this co-owner's shares (their
    lots, per key, with the tantièmes): two queries in all."""
    shares = (
        CallShare.objects.filter(lot_id__in=lot_ids)
        .select_related("lot", "key")
        .order_by("lot__number", "works_fund", "key__name")
    )
    return (
        account.entries.filter(kind=EntryKind.CALL)
        .select_related("call")
        .prefetch_related(Prefetch("call__shares", queryset=shares, to_attr="mine"))
        .order_by("-due_on", "-pk")
    )


def entries(account: Account) -> QuerySet[Entry]:
    return account.entries.select_related("call").order_by("-on", "-pk")


def accounts_with_balances(standing: Standing) -> QuerySet[Account]:
    """Every co-owner account of the residence with its balance (for the syndic).

    A correlated subquery, not a join: the paginator's COUNT then reads only the
    accounts, and each balance is summed through the entries' account index."""
    total = (
        Entry.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        Account.objects.filter(residence=standing.residence)
        .select_related("owner")
        .annotate(
            balance=Coalesce(Subquery(total, output_field=ZERO.output_field), ZERO)
        )
        .order_by("-balance", "owner__last_name", "owner__first_name")
    )


def dashboard_balance(standing: Standing) -> dict | None:
    """The dashboard widget: the co-owner's balance and next due date (two queries),
    None for those without an account."""
    account = account_of(standing)
    if account is None:
        return None
    today = timezone.localdate()
    figures = balance(account, today)
    upcoming = (
        account.entries.filter(kind=EntryKind.CALL, due_on__gt=today)
        .order_by("due_on")
        .values("due_on", "amount")
        .first()
    )
    return {**figures, "next": upcoming}
