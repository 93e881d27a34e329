"""Budgets become quarterly calls split exactly between the lots; the ledger is
append-only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Sum

from finance import services
from finance.models import CallShare, Entry, EntryKind, FundCall
from residents.models import Lot, LotShare, Role

from ..factories import add_key, make_member, make_residence, make_user

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def building(db):
    """The DOMAIN.md example: 10 000 general tantièmes, 1 000 lift units; lot 1 has
    250 general and 40 lift units, lot 2 (ground floor) 300 and none."""
    residence = make_residence(lots=0)
    general = residence.allocation_keys.get(is_general=True)
    lift = add_key(residence, "ascenseur", "Ascenseur")
    plan = [(1, 250, 40), (2, 300, 0), (3, 4_725, 480), (4, 4_725, 480)]
    lots = {}
    for number, general_units, lift_units in plan:
        lot = Lot.objects.create(residence=residence, number=number)
        LotShare.objects.create(lot=lot, key=general, units=general_units)
        if lift_units:
            LotShare.objects.create(lot=lot, key=lift, units=lift_units)
        lots[number] = lot
    owners = {}
    for number in (1, 2, 3):
        owners[number] = make_member(residence, Role.OWNER, lots=[lots[number]]).user
    # Lot 4 has no owner on the platform yet: its share is still computed.
    manager = make_user()
    return residence, general, lift, lots, owners, manager


WORKS_FUND = D("6000")


def _budget(building, works_fund=WORKS_FUND):
    residence, general, lift, *_rest, manager = building
    return services.budget_save(
        residence=residence,
        year=2027,
        lines={general.pk: D("100000"), lift.pk: D("20000")},
        works_fund=works_fund,
        by=manager,
    )


def test_quarterly_calls_follow_the_domain_example(building):
    residence, general, lift, lots, owners, manager = building
    calls = services.budget_calls_issue(budget=_budget(building, D("0")), by=manager)
    assert [c.due_on for c in calls] == [
        date(2027, 1, 1),
        date(2027, 4, 1),
        date(2027, 7, 1),
        date(2027, 10, 1),
    ]
    assert all(c.total == D("30000.00") for c in calls)
    for call in calls:
        mine = CallShare.objects.filter(call=call, lot=lots[1]).aggregate(
            total=Sum("amount")
        )["total"]
        assert mine == D("825.00")  # 625 general + 200 lift
        ground = CallShare.objects.filter(call=call, lot=lots[2])
        assert [s.key for s in ground] == [general]  # no lift share at all
        assert ground.get().amount == D("750.00")
    # The owner of lot 1 owes 3 300 € over the year, in four entries.
    entries = Entry.objects.filter(account__owner=owners[1], kind=EntryKind.CALL)
    assert entries.count() == 4
    assert entries.aggregate(total=Sum("amount"))["total"] == D("3300.00")


def test_the_shares_add_up_to_each_call_to_the_cent(building):
    residence, general, lift, lots, owners, manager = building
    budget = services.budget_save(
        residence=residence,
        year=2027,
        lines={general.pk: D("100000.01"), lift.pk: D("19999.99")},
        works_fund=D("6000.03"),
        by=manager,
    )
    calls = services.budget_calls_issue(budget=budget, by=manager)
    for call in calls:
        shares = call.shares.aggregate(total=Sum("amount"))["total"]
        assert shares == call.total
    assert sum(c.total for c in calls) == D("126000.03")
    # The first instalments take the odd cents: 25 000.01 + 5 000.00 + 1 500.01.
    assert calls[0].total == D("31500.02")
    assert calls[3].total == D("31499.99")  # 25 000.00 + 4 999.99 + 1 500.00
    # The fonds de travaux follows the general tantièmes.
    works = CallShare.objects.filter(works_fund=True, call=calls[1], lot=lots[1])
    assert works.get().amount == D("37.50")  # 1500.00 × 250 / 10 000


def test_issuing_twice_issues_nothing_new(building):
    *_rest, manager = building
    budget = _budget(building)
    first = services.budget_calls_issue(budget=budget, by=manager)
    again = services.budget_calls_issue(budget=budget, by=manager)
    assert [c.pk for c in again] == [c.pk for c in first]
    assert FundCall.objects.count() == 4
    assert Entry.objects.count() == 4 * 3  # three owners on the platform


def test_an_issued_budget_no_longer_changes(building):
    residence, general, *_rest, manager = building
    services.budget_calls_issue(budget=_budget(building), by=manager)
    with pytest.raises(ValidationError):
        services.budget_save(
            residence=residence,
            year=2027,
            lines={general.pk: D("1")},
            works_fund=D("0"),
            by=manager,
        )


def test_another_residences_key_is_refused(building):
    residence, *_rest, manager = building
    elsewhere = make_residence(lots=1).allocation_keys.get(is_general=True)
    with pytest.raises(ValidationError):
        services.budget_save(
            residence=residence,
            year=2027,
            lines={elsewhere.pk: D("10")},
            works_fund=D("0"),
            by=manager,
        )


def test_the_ledger_is_append_only_and_corrected_by_new_entries(building):
    residence, *_rest, owners, manager = building
    account = services.account_for(residence, owners[1].pk)
    entry = services.entry_post(
        account=account, kind=EntryKind.PAYMENT, amount=D("-825.00"), label="Virement"
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(amount=D("-1"))
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).delete()
    correction = services.entry_correct(entry=entry, by=manager, reason="Doublon")
    assert correction.amount == D("825.00") and correction.corrects == entry
    total = account.entries.aggregate(total=Sum("amount"))["total"]
    assert total == D("0.00")
    with pytest.raises(ValidationError):
        services.entry_correct(entry=entry, by=manager, reason="encore")


def test_a_payment_reference_is_posted_once(building):
    residence, *_rest, owners, manager = building
    account = services.account_for(residence, owners[1].pk)
    for _ in range(2):
        services.entry_post(
            account=account,
            kind=EntryKind.PAYMENT,
            amount=D("-100.00"),
            label="Stripe",
            source_ref="evt_123",
        )
    assert account.entries.count() == 1
