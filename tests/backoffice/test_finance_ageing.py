"""Aged balances computed in SQL: exact figures on a hand-built ledger."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from finance import ageing, services
from finance.models import EntryKind
from residents.models import Role

from ..factories import make_member, make_residence, make_user

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 6, 30)


def days(n: int) -> date:
    """The date `n` days before TODAY (negative: after)."""
    return TODAY - timedelta(days=n)


def post(account, kind, amount, *, on=None, due=None):
    return services.entry_post(
        account=account,
        kind=kind,
        amount=D(amount),
        label=f"{kind} {amount}",
        on=on or TODAY - timedelta(days=200),
        due_on=due,
    )


def call(account, amount, due_days_ago: int):
    return post(account, EntryKind.CALL, amount, due=days(due_days_ago))


def account(residence, name: str):
    return services.account_for(residence, make_user(last_name=name).pk)


@pytest.fixture
def ledger(world):
    """Six accounts in the home residence, one in the other (another syndic)."""
    home = world.home
    accounts = {}

    # A: partial payment; one debit at each side of each bucket boundary.
    a = accounts["a"] = account(home, "Arnaud")
    for amount, ago in [
        ("10.00", 120),
        ("20.00", 91),  # > 90 days
        ("40.00", 90),  # 31–90
        ("80.00", 31),  # 31–90
        ("160.00", 30),  # 0–30
        ("320.00", 0),  # due today: 0–30
        ("640.00", -1),  # due tomorrow: not yet due
    ]:
        call(a, amount, ago)
    # Pays the oldest first: all of the 10.00, then 15.00 of the 20.00.
    post(a, EntryKind.PAYMENT, "-25.00", on=days(10))

    # B: paid more than called: in credit, never in arrears.
    b = accounts["b"] = account(home, "Bernard")
    call(b, "100.00", 200)
    post(b, EntryKind.PAYMENT, "-150.00", on=days(150))

    # C: nothing due yet.
    c = accounts["c"] = account(home, "Chevalier")
    call(c, "300.00", -10)

    # D: a recovery fee (no due date: due when posted), a regularisation credit.
    d = accounts["d"] = account(home, "Dupont")
    call(d, "200.00", 60)
    post(d, EntryKind.FEE, "15.00", on=days(5))
    post(d, EntryKind.REGULARISATION, "-50.00", on=days(2))
    post(d, EntryKind.PAYMENT, "-100.00", on=days(1))

    # E: overpaid then refunded (a refund is a debit): settled.
    e = accounts["e"] = account(home, "Estienne")
    post(e, EntryKind.PAYMENT, "-300.00", on=days(40))
    call(e, "200.00", 50)
    post(e, EntryKind.REFUND, "100.00", on=days(20))

    # G: the payment settles the debt due first, not the one posted first.
    g = accounts["g"] = account(home, "Garnier")
    call(g, "100.00", -5)  # posted first, due in 5 days
    call(g, "100.00", 100)  # posted second, due 100 days ago
    post(g, EntryKind.PAYMENT, "-100.00", on=days(3))

    # H: an account without any entry.
    accounts["h"] = account(home, "Hugo")

    # Another residence, under another syndic: never counted with the home one.
    foreign = accounts["foreign"] = account(world.other, "Zola")
    call(foreign, "999.00", 400)
    return accounts


def test_residence_figures_are_exact(world, ledger):
    figures = ageing.residence_figures(world.home.pk, TODAY)
    assert figures.called == D("2285.00")  # every debit but the refund
    assert figures.paid == D("575.00")  # payments net of the refund
    assert figures.credited == D("50.00")  # the regularisation credit
    assert figures.balance == D("1660.00")
    assert figures.outstanding == D("1710.00")  # A + C + D + G
    assert figures.in_credit == D("50.00")  # B
    assert figures.not_due == D("1040.00")  # A 640, C 300, G 100
    assert figures.days_0_30 == D("495.00")  # A 160 + 320, D's fee 15
    assert figures.days_31_90 == D("170.00")  # A 40 + 80, D 50
    assert figures.over_90 == D("5.00")  # A: what is left of the 20.00
    assert figures.due == D("670.00")
    assert figures.in_arrears == 2  # A and D
    # The identities the screens rely on.
    assert figures.called - figures.paid - figures.credited == figures.balance
    assert figures.outstanding - figures.in_credit == figures.balance
    assert figures.not_due + figures.due == figures.outstanding
    assert figures.days_0_30 + figures.days_31_90 + figures.over_90 == figures.due


def test_accounts_in_arrears_most_overdue_first(world, ledger):
    rows = list(ageing.AccountsInArrears(world.home.pk, TODAY))
    assert [r.account_id for r in rows] == [ledger["a"].pk, ledger["d"].pk]
    a, d = rows
    assert (a.over_90, a.days_31_90, a.days_0_30, a.due, a.not_due, a.balance) == (
        D("5.00"),
        D("120.00"),
        D("480.00"),
        D("605.00"),
        D("640.00"),
        D("1245.00"),
    )
    assert (d.over_90, d.days_31_90, d.days_0_30, d.due, d.not_due, d.balance) == (
        D("0.00"),
        D("50.00"),
        D("15.00"),
        D("65.00"),
        D("0.00"),
        D("65.00"),
    )
    assert a.last_name == "Arnaud" and a.owner_name.endswith("Arnaud")


def test_bucket_boundaries_move_with_today(world, ledger):
    """The next day, A's 40.00 is 91 days old and its 80.00 32; the 160.00 has
    turned 31; the 640.00 falls due."""
    tomorrow = TODAY + timedelta(days=1)
    a = next(
        r
        for r in ageing.AccountsInArrears(world.home.pk, tomorrow)
        if r.account_id == ledger["a"].pk
    )
    assert a.over_90 == D("45.00")  # 5 + 40
    assert a.days_31_90 == D("240.00")  # 80 + 160
    assert a.days_0_30 == D("960.00")  # 320 + 640
    assert a.not_due == D("0.00")


def test_a_payment_that_covers_everything_leaves_nothing(world, ledger):
    post(ledger["a"], EntryKind.PAYMENT, "-1245.00", on=TODAY)
    rows = list(ageing.AccountsInArrears(world.home.pk, TODAY))
    assert [r.account_id for r in rows] == [ledger["d"].pk]
    figures = ageing.residence_figures(world.home.pk, TODAY)
    assert figures.outstanding == D("465.00")  # C 300, D 65, G 100
    assert figures.not_due == D("400.00")


def test_a_correction_is_another_credit(world, ledger):
    entry = call(ledger["c"], "30.00", 45)
    services.entry_correct(entry=entry, by=world.user("manager"), reason="Error")
    figures = ageing.residence_figures(world.home.pk, TODAY)
    assert figures.called == D("2315.00")
    assert figures.credited == D("80.00")
    assert figures.days_31_90 == D("170.00")  # the corrected call is covered
    assert figures.in_arrears == 2


def test_rollup_groups_by_syndic_with_totals(world, ledger):
    sister = make_residence(syndic=world.home.syndic, name="Aa Sister", lots=1)
    sister_account = account(sister, "Sœur")
    call(sister_account, "12.34", 95)
    rollup = ageing.syndic_rollup([world.home.pk, sister.pk, world.other.pk], TODAY)
    by_name = sorted([world.home.syndic, world.other.syndic], key=lambda s: s.name)
    assert [g.syndic_id for g in rollup.groups] == [s.pk for s in by_name]
    mine = next(g for g in rollup.groups if g.syndic_id == world.home.syndic_id)
    assert [r.residence_name for r in mine.residences] == ["Aa Sister", "Les Tilleuls"]
    assert mine.subtotal.over_90 == D("17.34")
    assert mine.subtotal.outstanding == D("1722.34")
    assert mine.subtotal.in_arrears == 3
    assert rollup.total.over_90 == D("1016.34")  # with the other residence's 999
    assert rollup.total.in_arrears == 4
    assert len(rollup.rows) == 3


def test_rollup_lists_residences_without_accounts_at_zero(world):
    rollup = ageing.syndic_rollup([world.home.pk], TODAY)
    (row,) = rollup.rows
    assert row.residence_id == world.home.pk
    assert (row.called, row.outstanding, row.due, row.in_arrears) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
        0,
    )
    assert rollup.total.called == D("0.00")


def test_rollup_of_nothing_is_zero(db):
    rollup = ageing.syndic_rollup([], TODAY)
    assert rollup.groups == []
    assert rollup.total.outstanding == D("0.00")


def test_pages_are_sliced_in_sql(world, django_assert_num_queries):
    for n in range(5):
        call(account(world.home, f"Owner{n}"), f"{n + 1}0.00", 100)
    arrears = ageing.AccountsInArrears(world.home.pk, TODAY)
    with django_assert_num_queries(1):
        assert arrears.count() == 5
    with django_assert_num_queries(1):
        page = arrears[1:3]
    assert [r.over_90 for r in page] == [D("40.00"), D("30.00")]
    assert arrears[0].over_90 == D("50.00")
    with pytest.raises(IndexError):
        arrears[5]


def test_each_residence_counts_its_own_accounts(world, ledger):
    member = make_member(world.home, Role.OWNER).user
    call(services.account_for(world.home, member.pk), "7.00", 10)
    assert ageing.residence_figures(world.home.pk, TODAY).days_0_30 == D("502.00")
    assert ageing.residence_figures(world.other.pk, TODAY).over_90 == D("999.00")
