"""Splitting amounts exactly: by tantièmes between lots, and a year into instalments.

Money is `Decimal` euros with cents; every split is done in integer cents. The rule
(shared DOMAIN.md §4, a product choice): each share is its exact value rounded down to
the cent, then the cents still missing go one by one to the largest remainders (ties:
the lowest key, e.g. the lowest lot number), so that the shares always add up to the
amount exactly. 100 € over three equal lots → 33.34 + 33.33 + 33.33.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> int:
    """Exact cents of an amount that has at most two decimals (refuses more)."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has more than two decimals")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def split(amount: Decimal, weights: Mapping[Hashable, int]) -> dict[Hashable, Decimal]:
    """Share `amount` in proportion to integer `weights` (tantièmes), to the cent.

    Keys with a weight of 0 get 0. The shares add up to `amount` exactly; a negative
    amount (a refund) is split as its opposite. The keys must be sortable: they break
    ties between equal remainders (the lowest first)."""
    if any(w < 0 for w in weights.values()):
        raise ValueError("weights cannot be negative")
    total = sum(weights.values())
    if total == 0:
        if amount:
            raise ValueError("nothing to split an amount over")
        return dict.fromkeys(weights, from_cents(0))
    cents = to_cents(amount)
    sign, cents = (-1 if cents < 0 else 1), abs(cents)
    floors: dict[Hashable, int] = {}
    remainders: dict[Hashable, int] = {}
    for key, weight in weights.items():
        floors[key], remainders[key] = divmod(cents * weight, total)
    missing = cents - sum(floors.values())
    for key in sorted(weights, key=lambda k: (-remainders[k], k))[:missing]:
        floors[key] += 1
    return {key: from_cents(sign * share) for key, share in floors.items()}


def instalments(amount: Decimal, count: int) -> list[Decimal]:
    """A yearly amount as `count` instalments that add up to it exactly (the first
    ones take the odd cents): 100.01 € in 4 → 25.01, 25.00, 25.00, 25.00."""
    if count < 1:
        raise ValueError("at least one instalment")
    shares = split(amount, dict.fromkeys(range(count), 1))
    return [shares[i] for i in range(count)]


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """`percent` % of `amount`, rounded half up to the cent (e.g. the fonds de
    travaux minimum: 5 % of the budget)."""
    return (amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def oldest_first(debts, credit: Decimal, amount=lambda debt: debt.amount) -> list:
    """What `credit` leaves unpaid of `debts` (already in order, oldest first) when it
    settles the oldest first, as DOMAIN.md says a payment that names nothing does:
    [(debt, what remains of it)] for the debts not fully covered."""
    left = []
    for debt in debts:
        owed = amount(debt)
        covered = min(credit, owed)
        credit -= covered
        if owed - covered > 0:
            left.append((debt, owed - covered))
    return left
