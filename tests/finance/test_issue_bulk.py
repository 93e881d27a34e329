"""Issuing a budget's calls in bulk: a fixed number of queries whatever the number of
lots and co-owners, the same entries as one by one, and honest validation."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from finance import services
from finance.models import Account, CallShare, Entry, EntryKind, FundCall
from residents.models import Lot, LotShare, Role

from ..factories import add_key, make_member, make_residence, make_user

pytestmark = pytest.mark.django_db

D = Decimal


def _residence_with(lots: int):
    """`lots` lots, each with its own co-owner; the odd ones bear the lift."""
    residence = make_residence(lots=0)
    general = residence.allocation_keys.get(is_general=True)
    lift = add_key(residence, "ascenseur", "Ascenseur")
    for number in range(1, lots + 1):
        lot = Lot.objects.create(residence=residence, number=number)
        LotShare.objects.create(lot=lot, key=general, units=97 + number)
        if number % 2:
            LotShare.objects.create(lot=lot, key=lift, units=13)
        make_member(residence, Role.OWNER, lots=[lot])
    manager = make_user()
    budget = services.budget_save(
        residence=residence,
        year=2027,
        lines={general.pk: D("100000.01"), lift.pk: D("7777.77")},
        works_fund=D("5000.03"),
        by=manager,
    )
    return residence, budget, manager


@pytest.mark.parametrize("lots", [6, 60])
def test_issuing_runs_the_same_queries_whatever_the_number_of_lots(
    lots, django_assert_num_queries
):
    residence, budget, manager = _residence_with(lots)
    # savepoint, budget locked (with its residence), calls already?, general key,
    # lots' tantièmes, budget lines, memberships + their lots, accounts inserted +
    # read back, the calls, their shares, their entries, release savepoint
    with django_assert_num_queries(14):
        calls = services.budget_calls_issue(budget=budget, by=manager)
    assert len(calls) == 4 and all(call.pk for call in calls)
    assert Account.objects.filter(residence=residence).count() == lots
    assert Entry.objects.filter(call__in=calls).count() == 4 * lots
    for call in calls:
        assert call.shares.count() == lots * 2 + (lots + 1) // 2  # general, fund, lift


def test_each_entry_is_the_sum_of_the_owners_shares(db):
    residence, budget, manager = _residence_with(7)
    owner = make_member(residence, Role.OWNER).user  # holds nothing: no entry
    # A lot without tantièmes bears nothing: its owner gets no account either.
    bare = Lot.objects.create(residence=residence, number=10)
    idle = make_member(residence, Role.OWNER, lots=[bare]).user
    # A council member with two lots, whose account exists already: it is reused.
    general = residence.allocation_keys.get(is_general=True)
    both = []
    for number in (8, 9):
        both.append(Lot.objects.create(residence=residence, number=number))
        LotShare.objects.create(lot=both[-1], key=general, units=50)
    two = make_member(residence, Role.COUNCIL_MEMBER, lots=both).user
    existing = services.account_for(residence, two.pk)
    calls = services.budget_calls_issue(budget=budget, by=manager)
    owners = services.owners_by_lot(residence)
    for call in calls:
        expected: dict[int, Decimal] = defaultdict(Decimal)
        for share in CallShare.objects.filter(call=call):
            if share.lot_id in owners:
                expected[owners[share.lot_id]] += share.amount
        entries = Entry.objects.filter(call=call).select_related("account")
        assert {e.account.owner_id: e.amount for e in entries} == expected
        assert all(
            (e.kind, e.label, e.due_on, e.created_by_id)
            == (EntryKind.CALL, call.label, call.due_on, manager.pk)
            for e in entries
        )
        assert sum(expected.values()) == call.total  # every lot has an owner
    assert not Entry.objects.filter(account__owner=owner).exists()
    assert not Account.objects.filter(owner__in=[owner, idle]).exists()
    assert Account.objects.filter(residence=residence, owner=two).get() == existing
    mine = CallShare.objects.filter(call=calls[0], lot__in=both)
    assert existing.entries.get(call=calls[0]).amount == sum(s.amount for s in mine)


def test_issuing_twice_still_issues_once(db):
    residence, budget, manager = _residence_with(5)
    first = services.budget_calls_issue(budget=budget, by=manager)
    again = services.budget_calls_issue(budget=budget, by=manager)
    assert [c.pk for c in again] == [c.pk for c in first]
    assert FundCall.objects.filter(budget=budget).count() == 4
    assert Entry.objects.filter(call__budget=budget).count() == 4 * 5


def test_the_database_refuses_a_second_entry_for_the_same_call(db):
    residence, budget, manager = _residence_with(2)
    call = services.budget_calls_issue(budget=budget, by=manager)[0]
    entry = Entry.objects.filter(call=call).first()
    again = services.entry_build(
        account=entry.account,
        kind=EntryKind.CALL,
        amount=entry.amount,
        label=call.label,
        call=call,
        due_on=call.due_on,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.bulk_create([again])


@pytest.mark.parametrize(
    "field,value",
    [
        ("kind", "gift"),
        ("amount", D("12345678901.00")),
        ("amount", D("1.001")),
        ("label", "x" * 201),
    ],
)
def test_built_entries_are_validated_field_by_field(db, field, value):
    residence, budget, manager = _residence_with(1)
    account = services.account_for(residence, make_user().pk)
    fields = {"kind": EntryKind.CALL, "amount": D("10.00"), "label": "Provision"}
    fields[field] = value
    with pytest.raises(ValidationError) as error:
        services.entry_build(account=account, **fields)
    assert field in error.value.message_dict


def test_accounts_for_creates_the_missing_ones_in_two_queries(
    db, django_assert_num_queries
):
    residence = make_residence(lots=0)
    users = [make_user() for _ in range(5)]
    kept = services.account_for(residence, users[0].pk)
    # the missing accounts inserted (conflicts ignored), all read back
    with django_assert_num_queries(2):
        accounts = services.accounts_for(residence, [u.pk for u in users] * 2)
    assert set(accounts) == {u.pk for u in users}
    assert accounts[users[0].pk] == kept
    assert Account.objects.filter(residence=residence).count() == 5
    assert services.accounts_for(residence, []) == {}
