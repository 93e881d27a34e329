"""Matching a statement's credit lines to co-owners: by the reference printed on
their call notice ("<residence slug>-<call>-<account>", see `notices.reference`)
first, else by their name and an amount they owe (an unpaid call, or the balance).

A payment the syndic typed in by hand (a cheque received, a transfer seen on the
bank's website) is usually seen again on a statement a few days later: a line of
the same amount for the same co-owner in a window around it is not proposed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum

from residents.models import Residence

from .models import Account, Entry, EntryKind
from .statements import StatementLine, fold

HAND_BEFORE = timedelta(days=20)
HAND_AFTER = timedelta(days=3)
MANUAL_PREFIX = "manual:"  # the source_ref of the entries typed in by hand

SPACES = re.compile(r"\s+")
_REFERENCE_TAIL = re.compile(r"(\d+)-(\d+)")


def referenced(
    text: str, slug: str, pairs: set[tuple[int, int]]
) -> set[tuple[int, int]]:
    """The (call id, account id) pairs of `pairs` whose notice reference
    ("<slug>-<call>-<account>", see `notices.reference`) is in `text`, whatever
    the case and the spaces the bank put in it."""
    compact = SPACES.sub("", text).lower()
    prefix = f"{slug.lower()}-"
    found = set()
    start = compact.find(prefix)
    while start >= 0:
        if match := _REFERENCE_TAIL.match(compact, start + len(prefix)):
            call, digits = int(match.group(1)), match.group(2)
            # "…-12-34 5 €" reads "…-12-345": the longest known account wins.
            for end in range(len(digits), 0, -1):
                if (call, int(digits[:end])) in pairs:
                    found.add((call, int(digits[:end])))
                    break
        start = compact.find(prefix, start + 1)
    return found


@dataclass
class Payer:
    account_id: int
    last_name: str  # folded (see `statements.fold`)
    first_name: str
    balance: Decimal = Decimal("0.00")
    dues: set[Decimal] = field(default_factory=set)  # what remains on each call
    by_hand: list[tuple[date, Decimal]] = field(default_factory=list)

    def fits(self, amount: Decimal) -> bool:
        return amount in self.dues or (self.balance > 0 and amount == self.balance)

    def paid_by_hand(self, line: StatementLine) -> bool:
        return any(
            amount == line.amount
            and line.booked_on - HAND_BEFORE <= on <= line.booked_on + HAND_AFTER
            for on, amount in self.by_hand
        )


@dataclass
class Matcher:
    """What matching needs to know of a residence, read at once (four queries)."""

    slug: str
    payers: dict[int, Payer]
    pairs: set[tuple[int, int]]  # (call id, account id) of every call entry

    def propose(self, line: StatementLine) -> int | None:
        """The account a credit line most likely pays, or None: by the notice's
        reference first, else by the co-owner's name and an amount they owe."""
        accounts = {
            account
            for _call, account in referenced(
                f"{line.label} {line.reference}", self.slug, self.pairs
            )
        }
        account = accounts.pop() if len(accounts) == 1 else self._by_name(line)
        if account is None or self.payers[account].paid_by_hand(line):
            return None
        return account

    def _by_name(self, line: StatementLine) -> int | None:
        who = f" {fold(line.counterparty or line.label)} "
        named = [
            payer
            for payer in self.payers.values()
            if len(payer.last_name) > 1 and f" {payer.last_name} " in who
        ]
        fitting = [payer for payer in named if payer.fits(line.amount)]
        if len(fitting) > 1:  # two Duponts owe the same: the first name decides
            fitting = [
                payer
                for payer in fitting
                if payer.first_name and f" {payer.first_name} " in who
            ]
        return fitting[0].account_id if len(fitting) == 1 else None


def matcher_for(residence: Residence, lines: list[StatementLine]) -> Matcher:
    """Every co-owner's name, balance and unpaid calls (credits pay the oldest
    calls first, as `payments.unpaid_calls` says), and the payments typed in by
    hand around the lines' dates."""
    payers = {
        account.pk: Payer(
            account_id=account.pk,
            last_name=fold(account.owner.last_name),
            first_name=fold(account.owner.first_name),
        )
        for account in Account.objects.filter(residence=residence).select_related(
            "owner"
        )
    }
    entries = Entry.objects.filter(account__residence=residence)
    credits: dict[int, Decimal] = {}
    for account_id, total, paid in (
        entries.values("account_id")
        .annotate(total=Sum("amount"), paid=Sum("amount", filter=Q(amount__lt=0)))
        .values_list("account_id", "total", "paid")
    ):
        payers[account_id].balance = total
        credits[account_id] = -(paid or Decimal("0"))
    pairs = set()
    for account_id, call_id, amount in (
        entries.filter(kind=EntryKind.CALL)
        .order_by("account_id", "due_on", "pk")
        .values_list("account_id", "call_id", "amount")
    ):
        pairs.add((call_id, account_id))
        covered = min(credits[account_id], amount)
        credits[account_id] -= covered
        if amount - covered > 0:
            payers[account_id].dues.add(amount - covered)
    if lines:
        first = min(line.booked_on for line in lines) - HAND_BEFORE
        last = max(line.booked_on for line in lines) + HAND_AFTER
        for account_id, on, amount in entries.filter(
            source_ref__startswith=MANUAL_PREFIX, on__range=(first, last)
        ).values_list("account_id", "on", "amount"):
            payers[account_id].by_hand.append((on, -amount))
    return Matcher(slug=residence.slug, payers=payers, pairs=pairs)
