"""The exact split (DOMAIN.md §4): every share to the cent, the sum always exact."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from finance.allocation import instalments, percent_of, split, to_cents

D = Decimal


def test_the_domain_example_three_equal_lots():
    assert split(D("100"), {1: 1, 2: 1, 3: 1}) == {
        1: D("33.34"),
        2: D("33.33"),
        3: D("33.33"),
    }


def test_the_domain_example_a_lot_with_the_lift():
    """Budget 100 000 € on 10 000 general tantièmes and 20 000 € on 1 000 lift units:
    a lot with 250 general and 40 lift units owes 2 500 + 800 = 3 300 € a year, 825 €
    a quarter; a ground-floor lot without lift units owes 3 000 €."""
    general = {1: 250, 2: 300, 3: 9_450}
    lift = {1: 40, 2: 0, 3: 960}
    year = {
        lot: split(D("100000"), general)[lot] + split(D("20000"), lift)[lot]
        for lot in general
    }
    assert year[1] == D("3300.00") and year[2] == D("3000.00")
    quarter = [
        split(q, general)[1] + split(ql, lift)[1]
        for q, ql in zip(
            instalments(D("100000"), 4), instalments(D("20000"), 4), strict=True
        )
    ]
    assert quarter == [D("825.00")] * 4


def test_lots_without_units_in_a_special_key_pay_nothing():
    shares = split(D("1000"), {1: 0, 2: 30, 3: 70})
    assert shares == {1: D("0.00"), 2: D("300.00"), 3: D("700.00")}


def test_ties_go_to_the_lowest_lot_number():
    assert split(D("0.05"), {7: 1, 3: 1, 5: 1}) == {
        3: D("0.02"),
        5: D("0.02"),
        7: D("0.01"),
    }


def test_largest_remainders_first_whatever_the_order():
    # 10.00 over 1/3/6 units of 10: exact 1, 3, 6; over 1/1/1 of 3: see above;
    # over 333/333/334 of 1000: 3.33, 3.33, 3.34 exactly.
    assert split(D("10"), {1: 333, 2: 333, 3: 334}) == {
        1: D("3.33"),
        2: D("3.33"),
        3: D("3.34"),
    }
    # 1.00 over 2/2/2/1 (of 7): exact 0.2857…, 0.2857…, 0.2857…, 0.1428… → floors
    # 0.28/0.28/0.28/0.14 = 0.98; the two cents go to the largest remainders (lots 1
    # and 2, 0.57 each, before lot 4's 0.28).
    assert split(D("1"), {1: 2, 2: 2, 3: 2, 4: 1}) == {
        1: D("0.29"),
        2: D("0.29"),
        3: D("0.28"),
        4: D("0.14"),
    }


def test_a_refund_is_split_like_the_opposite():
    assert split(D("-100"), {1: 1, 2: 1, 3: 1}) == {
        1: D("-33.34"),
        2: D("-33.33"),
        3: D("-33.33"),
    }


@pytest.mark.parametrize("seed", range(200))
def test_the_shares_always_add_up_to_the_cent(seed):
    rng = random.Random(seed)
    lots = {
        n: rng.choice([0, 1, 7, 13, 97, 250, 333, 1000, 9999]) for n in range(1, 60)
    }
    lots[1] = max(lots[1], 1)
    amount = D(rng.randint(-10_000_000, 100_000_000)) / 100
    shares = split(amount, lots)
    assert sum(shares.values()) == amount
    total = sum(lots.values())
    for lot, share in shares.items():
        exact = amount * lots[lot] / total
        assert abs(share - exact) < D("0.01")  # never more than a cent away
        assert share == share.quantize(D("0.01"))


def test_instalments_add_up_and_the_first_take_the_odd_cents():
    assert instalments(D("100.01"), 4) == [
        D("25.01"),
        D("25.00"),
        D("25.00"),
        D("25.00"),
    ]
    assert instalments(D("100.03"), 4) == [
        D("25.01"),
        D("25.01"),
        D("25.01"),
        D("25.00"),
    ]
    assert sum(instalments(D("123456.78"), 4)) == D("123456.78")


def test_refusals():
    with pytest.raises(ValueError):
        to_cents(D("1.001"))  # more than two decimals
    with pytest.raises(ValueError):
        split(D("10"), {1: 0, 2: 0})  # nobody to pay it
    assert split(D("0"), {1: 0}) == {1: D("0.00")}
    with pytest.raises(ValueError):
        split(D("10"), {1: -1, 2: 3})
    with pytest.raises(ValueError):
        instalments(D("10"), 0)


def test_percent_of_rounds_half_up_to_the_cent():
    assert percent_of(D("120000"), D("5")) == D("6000.00")
    assert percent_of(D("10.10"), D("5")) == D("0.51")  # 0.505 → 0.51
    assert percent_of(D("333.33"), D("2.5")) == D("8.33")


def test_a_credit_settles_the_oldest_debts_first():
    from finance.allocation import oldest_first

    debts = [D("100.00"), D("50.00"), D("25.00")]
    left = oldest_first(debts, D("120.00"), amount=lambda debt: debt)
    assert left == [(D("50.00"), D("30.00")), (D("25.00"), D("25.00"))]
    assert oldest_first(debts, D("175.00"), amount=lambda debt: debt) == []
    assert oldest_first(debts, D("0"), amount=lambda debt: debt) == [
        (debt, debt) for debt in debts
    ]
