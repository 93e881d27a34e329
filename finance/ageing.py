"""Aged balances: what co-owners owe, since when — per account, per residence and
rolled up per syndic. Every read is one set-based SQL query, whatever the number of
accounts and entries.

The rules (shared DOMAIN.md §4):
- an entry's amount is positive when owed (calls, fees, regularisation debits,
  corrections that add), negative when paid or credited;
- a credit that does not say what it pays settles the oldest debt first: debits are
  ranked by due date (the posting date when they have none) then id, and an account's
  credits cover them in that order. What is left unpaid therefore belongs to the most
  recent debits: for each debit, unpaid = clamp(running sum of debits − credits, 0,
  amount), computed with a window function;
- the age of an unpaid debit is today − its due date, in days: below 0 it is "not
  yet due"; 0 (due today) to 30, 31 to 90, over 90 are the buckets of what is due;
- an account is in arrears when part of what is due is unpaid; an account in credit
  never is.

The totals (labelled on the screens):
- called: every debit except refunds (calls, fees, regularisation debits, positive
  corrections);
- paid: payments net of refunds (a refund gives money back: it is positive);
- other credits: every other credit (corrections, regularisation credits);
- balance = called − paid − other credits = outstanding − in credit, where
  outstanding is the sum of the balances of the accounts that owe and in credit that
  of the accounts in credit; outstanding = not yet due + the three due buckets.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from .models import EntryKind

# One row per account of the residences asked for, with its figures. Parameters:
# residences (ids), today, and the kinds that count as payments.
_PER_ACCOUNT = """
WITH accounts AS (
    SELECT a.id, a.residence_id, a.owner_id
    FROM finance_account a
    WHERE a.residence_id = ANY(%(residences)s::bigint[])
),
lines AS (
    SELECT
        e.account_id,
        e.kind,
        e.amount,
        %(today)s::date - COALESCE(e.due_on, e."on") AS age,
        -COALESCE(
            SUM(e.amount) FILTER (WHERE e.amount < 0)
                OVER (PARTITION BY e.account_id),
            0
        ) AS credits,
        SUM(e.amount) FILTER (WHERE e.amount > 0) OVER (
            PARTITION BY e.account_id
            ORDER BY COALESCE(e.due_on, e."on"), e.id
            ROWS UNBOUNDED PRECEDING
        ) AS running
    FROM finance_entry e
    JOIN accounts a ON a.id = e.account_id
),
unpaid AS (
    SELECT
        lines.*,
        CASE WHEN amount > 0
            THEN GREATEST(0, LEAST(amount, running - credits))
            ELSE 0
        END AS unpaid
    FROM lines
),
per_account AS (
    SELECT
        u.account_id,
        SUM(u.amount) AS balance,
        COALESCE(SUM(u.amount) FILTER (
            WHERE u.amount > 0 AND u.kind <> %(refund)s
        ), 0) AS called,
        -COALESCE(SUM(u.amount) FILTER (
            WHERE u.kind = ANY(%(paying)s::text[])
        ), 0) AS paid,
        -COALESCE(SUM(u.amount) FILTER (
            WHERE u.amount < 0 AND u.kind <> ALL(%(paying)s::text[])
        ), 0) AS credited,
        COALESCE(SUM(u.unpaid) FILTER (WHERE u.age < 0), 0) AS not_due,
        COALESCE(SUM(u.unpaid) FILTER (WHERE u.age BETWEEN 0 AND 30), 0)
            AS days_0_30,
        COALESCE(SUM(u.unpaid) FILTER (WHERE u.age BETWEEN 31 AND 90), 0)
            AS days_31_90,
        COALESCE(SUM(u.unpaid) FILTER (WHERE u.age > 90), 0) AS over_90,
        COALESCE(SUM(u.unpaid) FILTER (WHERE u.age >= 0), 0) AS due
    FROM unpaid u
    GROUP BY u.account_id
),
ledger AS (
    SELECT
        a.id AS account_id,
        a.residence_id,
        a.owner_id,
        COALESCE(p.called, 0) AS called,
        COALESCE(p.paid, 0) AS paid,
        COALESCE(p.credited, 0) AS credited,
        COALESCE(p.balance, 0) AS balance,
        COALESCE(p.not_due, 0) AS not_due,
        COALESCE(p.days_0_30, 0) AS days_0_30,
        COALESCE(p.days_31_90, 0) AS days_31_90,
        COALESCE(p.over_90, 0) AS over_90,
        COALESCE(p.due, 0) AS due
    FROM accounts a
    LEFT JOIN per_account p ON p.account_id = a.id
)
"""

# Per residence, with a subtotal per syndic and a grand total (ROLLUP): one query.
_ROLLUP = (
    _PER_ACCOUNT
    + """
SELECT
    GROUPING(r.syndic_id) = 1 AS is_total,
    GROUPING(r.id) = 1 AS is_subtotal,
    r.syndic_id,
    s.name AS syndic_name,
    r.id AS residence_id,
    r.name AS residence_name,
    r.slug AS residence_slug,
    COALESCE(SUM(l.called), 0)::numeric(14, 2) AS called,
    COALESCE(SUM(l.paid), 0)::numeric(14, 2) AS paid,
    COALESCE(SUM(l.credited), 0)::numeric(14, 2) AS credited,
    COALESCE(SUM(l.balance), 0)::numeric(14, 2) AS balance,
    COALESCE(SUM(GREATEST(l.balance, 0)), 0)::numeric(14, 2) AS outstanding,
    COALESCE(SUM(GREATEST(-l.balance, 0)), 0)::numeric(14, 2) AS in_credit,
    COALESCE(SUM(l.not_due), 0)::numeric(14, 2) AS not_due,
    COALESCE(SUM(l.days_0_30), 0)::numeric(14, 2) AS days_0_30,
    COALESCE(SUM(l.days_31_90), 0)::numeric(14, 2) AS days_31_90,
    COALESCE(SUM(l.over_90), 0)::numeric(14, 2) AS over_90,
    COALESCE(SUM(l.due), 0)::numeric(14, 2) AS due,
    COUNT(l.account_id) FILTER (WHERE l.due > 0) AS in_arrears
FROM residents_residence r
LEFT JOIN residents_syndic s ON s.id = r.syndic_id
LEFT JOIN ledger l ON l.residence_id = r.id
WHERE r.id = ANY(%(residences)s::bigint[])
GROUP BY ROLLUP ((r.syndic_id, s.name), (r.id, r.name, r.slug))
ORDER BY GROUPING(r.syndic_id), s.name, r.syndic_id, GROUPING(r.id), r.name, r.id
"""  # noqa: S608 (constants joined: every value is a parameter)
)

_ARREARS = (
    _PER_ACCOUNT
    + """
SELECT
    l.account_id,
    l.owner_id,
    u.first_name,
    u.last_name,
    u.email,
    l.not_due::numeric(14, 2) AS not_due,
    l.days_0_30::numeric(14, 2) AS days_0_30,
    l.days_31_90::numeric(14, 2) AS days_31_90,
    l.over_90::numeric(14, 2) AS over_90,
    l.due::numeric(14, 2) AS due,
    l.balance::numeric(14, 2) AS balance
FROM ledger l
JOIN residents_user u ON u.id = l.owner_id
WHERE l.due > 0
ORDER BY l.over_90 DESC, l.due DESC, u.last_name, u.first_name, l.account_id
LIMIT %(limit)s OFFSET %(offset)s
"""  # noqa: S608 (constants joined: every value is a parameter)
)

_ARREARS_COUNT = (
    _PER_ACCOUNT + "SELECT COUNT(*) FROM ledger l WHERE l.due > 0"  # noqa: S608
)


@dataclass(frozen=True)
class Figures:
    """A residence's figures (or a syndic's subtotal, or the grand total)."""

    is_total: bool
    is_subtotal: bool
    syndic_id: int | None
    syndic_name: str | None
    residence_id: int | None
    residence_name: str | None
    residence_slug: str | None
    called: Decimal
    paid: Decimal
    credited: Decimal
    balance: Decimal
    outstanding: Decimal
    in_credit: Decimal
    not_due: Decimal
    days_0_30: Decimal
    days_31_90: Decimal
    over_90: Decimal
    due: Decimal
    in_arrears: int


@dataclass(frozen=True)
class SyndicGroup:
    """A syndic's residences and their subtotal."""

    syndic_id: int | None
    syndic_name: str | None
    residences: list[Figures]
    subtotal: Figures


@dataclass(frozen=True)
class Rollup:
    """The figures of several residences, grouped by syndic, and the grand total."""

    groups: list[SyndicGroup]
    total: Figures

    @property
    def rows(self) -> list[Figures]:
        """One row per residence (syndic by syndic)."""
        return [row for group in self.groups for row in group.residences]


@dataclass(frozen=True)
class AccountAgeing:
    """One co-owner's account in arrears."""

    account_id: int
    owner_id: int
    first_name: str
    last_name: str
    email: str
    not_due: Decimal
    days_0_30: Decimal
    days_31_90: Decimal
    over_90: Decimal
    due: Decimal
    balance: Decimal

    @property
    def owner_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email


def _params(residence_ids: Sequence[int], today: date | None, **extra) -> dict:
    return {
        "residences": list(residence_ids),
        "today": today or timezone.localdate(),
        "refund": EntryKind.REFUND.value,
        "paying": [EntryKind.PAYMENT.value, EntryKind.REFUND.value],
        **extra,
    }


def _fetch(sql: str, params: dict) -> tuple[list[str], list[tuple]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return columns, cursor.fetchall()


def syndic_rollup(residence_ids: Sequence[int], today: date | None = None) -> Rollup:
    """The figures of each residence in `residence_ids` (those without any account
    at zero), a subtotal per syndic and the total: one query. The caller scopes the
    ids through the access policy."""
    columns, rows = _fetch(_ROLLUP, _params(residence_ids, today))
    # ROLLUP returns each syndic's residences then its subtotal, syndic by syndic,
    # and always ends with the grand total (even over no residence at all).
    *figures, total = [Figures(**dict(zip(columns, row, strict=True))) for row in rows]
    groups: list[SyndicGroup] = []
    residences: list[Figures] = []
    for row in figures:
        if row.is_subtotal:
            groups.append(
                SyndicGroup(row.syndic_id, row.syndic_name, residences, subtotal=row)
            )
            residences = []
        else:
            residences.append(row)
    return Rollup(groups=groups, total=total)


def residence_figures(residence_id: int, today: date | None = None) -> Figures:
    """One residence's figures (one query)."""
    return syndic_rollup([residence_id], today).total


class AccountsInArrears(Sequence):
    """The accounts of a residence that owe part of what is due, the most overdue
    first (by the amount over 90 days, then the total due): a lazy sequence that a
    Paginator slices in SQL — one query for the count, one per page."""

    def __init__(
        self, residence_id: int, today: date | None = None, count: int | None = None
    ) -> None:
        """`count`, when known (`Figures.in_arrears` counts the same accounts),
        saves the count query."""
        self._residence_id = residence_id
        self._today = today or timezone.localdate()
        self._count = count

    def count(self) -> int:
        if self._count is None:
            _columns, rows = _fetch(
                _ARREARS_COUNT, _params([self._residence_id], self._today)
            )
            self._count = rows[0][0]
        return self._count

    def __len__(self) -> int:
        return self.count()

    def _rows(self, offset: int, limit: int | None) -> list[AccountAgeing]:
        columns, rows = _fetch(
            _ARREARS,
            _params([self._residence_id], self._today, offset=offset, limit=limit),
        )
        return [AccountAgeing(**dict(zip(columns, row, strict=True))) for row in rows]

    def __getitem__(self, index):
        if isinstance(index, slice):
            if index.step not in (None, 1):
                raise ValueError("no step")
            start = index.start or 0
            if start < 0 or (index.stop is not None and index.stop < 0):
                raise ValueError("no negative index")
            limit = None if index.stop is None else max(index.stop - start, 0)
            return self._rows(start, limit)
        rows = self._rows(index, 1)
        if not rows:
            raise IndexError(index)
        return rows[0]

    def __iter__(self) -> Iterator[AccountAgeing]:
        """Every account in arrears (one query)."""
        return iter(self._rows(0, None))
