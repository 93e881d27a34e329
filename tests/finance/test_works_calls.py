"""Works voted at an AG become calls on their own schedule, split exactly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.urls import reverse
from django.utils import translation

from finance import notices, services
from finance.models import CallKind, CallShare, Entry, EntryKind, FundCall, WorksCall
from finance.works_calls import (
    Instalment,
    add_months,
    equal_schedule,
    schedule_amounts,
    works_call_create,
)
from notifications.models import Notification
from residents.models import Lot, LotShare, Role

from ..factories import add_key, make_member, make_residence, make_user

pytestmark = pytest.mark.django_db

D = Decimal
VOTED = date(2026, 6, 20)
TOTAL = D("10000.01")


@pytest.fixture(autouse=True)
def _english():
    """The messages checked below are the English ones."""
    with translation.override("en"):
        yield


@pytest.fixture
def building(db):
    """Three lots of 333, 333 and 334 general tantièmes, one owner each; a lift key
    borne by lots 1 and 3 only (40 and 60 units)."""
    residence = make_residence(lots=0)
    general = residence.allocation_keys.get(is_general=True)
    lift = add_key(residence, "ascenseur", "Ascenseur")
    lots, owners = {}, {}
    for number, units, lift_units in [(1, 333, 40), (2, 333, 0), (3, 334, 60)]:
        lot = Lot.objects.create(residence=residence, number=number)
        LotShare.objects.create(lot=lot, key=general, units=units)
        if lift_units:
            LotShare.objects.create(lot=lot, key=lift, units=lift_units)
        lots[number] = lot
        owners[number] = make_member(residence, Role.OWNER, lots=[lot]).user
    return residence, general, lift, lots, owners, make_user()


def _create(building, key=None, total=TOTAL, schedule=None, **kw):
    residence, general, _lift, _lots, _owners, manager = building
    return works_call_create(
        residence=kw.pop("residence", residence),
        label=kw.pop("label", "Ravalement de façade"),
        decided_on=kw.pop("decided_on", VOTED),
        key=key or general,
        total=total,
        schedule=(
            equal_schedule(total, 3, date(2026, 10, 1), 3)
            if schedule is None
            else schedule
        ),
        by=manager,
    )


def _shares(call) -> dict[int, Decimal]:
    return {s.lot.number: s.amount for s in call.shares.select_related("lot")}


def test_an_awkward_total_over_awkward_tantiemes_adds_up_to_the_cent(building):
    """10 000.01 € in 3 instalments over 333/333/334 tantièmes, checked by hand:
    instalments 3 333.34 + 3 333.34 + 3 333.33 (the first ones take the odd cents);
    3 333.34 → 1 110.00 / 1 110.00 / 1 113.34 (the missing cent to lot 3, remainder
    .556); 3 333.33 → 1 110.00 / 1 110.00 / 1 113.33 (two cents to lots 1 and 2,
    remainders .889). Lots 1 and 2 bear 3 330.00 each, lot 3 3 340.01."""
    residence, general, _lift, lots, owners, _manager = building
    works = _create(building)
    calls = list(works.calls.order_by("period"))
    assert [c.kind for c in calls] == [CallKind.WORKS] * 3
    assert [c.due_on for c in calls] == [
        date(2026, 10, 1),
        date(2027, 1, 1),
        date(2027, 4, 1),
    ]
    assert [c.total for c in calls] == [D("3333.34"), D("3333.34"), D("3333.33")]
    assert _shares(calls[0]) == {1: D("1110.00"), 2: D("1110.00"), 3: D("1113.34")}
    assert _shares(calls[1]) == {1: D("1110.00"), 2: D("1110.00"), 3: D("1113.34")}
    assert _shares(calls[2]) == {1: D("1110.00"), 2: D("1110.00"), 3: D("1113.33")}
    for call in calls:
        assert call.shares.aggregate(t=Sum("amount"))["t"] == call.total
        assert call.budget_id is None and call.works_id == works.pk
    # Each co-owner: one entry per instalment, due on its date.
    mine = Entry.objects.filter(account__owner=owners[3], kind=EntryKind.CALL)
    assert sorted((e.due_on, e.amount) for e in mine) == [
        (date(2026, 10, 1), D("1113.34")),
        (date(2027, 1, 1), D("1113.34")),
        (date(2027, 4, 1), D("1113.33")),
    ]
    totals = {
        number: Entry.objects.filter(account__owner=owner).aggregate(t=Sum("amount"))[
            "t"
        ]
        for number, owner in owners.items()
    }
    assert totals == {1: D("3330.00"), 2: D("3330.00"), 3: D("3340.01")}
    assert sum(totals.values()) == D("10000.01")
    assert works.total == D("10000.01") and works.key == general
    assert works.history.first().history_user == building[-1]


def test_only_the_lots_bearing_the_key_pay(building):
    residence, _general, lift, lots, owners, _manager = building
    works = _create(
        building,
        key=lift,
        total=D("1000.00"),
        schedule=[Instalment(date(2026, 9, 1), D("1000.00"))],
    )
    call = works.calls.get()
    assert _shares(call) == {1: D("400.00"), 3: D("600.00")}
    assert not CallShare.objects.filter(lot=lots[2]).exists()
    assert not Entry.objects.filter(account__owner=owners[2]).exists()
    share = call.shares.get(lot=lots[1])
    assert (share.key, share.units, share.key_units, share.works_fund) == (
        lift,
        40,
        100,
        False,
    )


def test_percentages_become_amounts_that_add_up(building):
    """33.33 % + 33.33 % + 33.34 % of 10 000.01 €: floors 3 333.00, 3 333.00,
    3 334.00 (1 000 000 cents), the missing cent to the largest remainder (the
    third): 3 333.00 + 3 333.00 + 3 334.01."""
    schedule = [
        Instalment(date(2026, 9, 1), percent=D("33.33")),
        Instalment(date(2026, 12, 1), percent=D("33.33")),
        Instalment(date(2027, 3, 1), percent=D("33.34")),
    ]
    works = _create(building, schedule=schedule)
    assert [c.total for c in works.calls.order_by("period")] == [
        D("3333.00"),
        D("3333.00"),
        D("3334.01"),
    ]


def test_custom_dates_are_called_in_date_order(building):
    schedule = [
        (date(2027, 2, 1), D("2500.01")),
        (date(2026, 8, 15), D("7500.00")),
    ]
    works = _create(building, schedule=schedule)
    calls = list(works.calls.order_by("period"))
    assert [(c.period, c.due_on, c.total) for c in calls] == [
        (1, date(2026, 8, 15), D("7500.00")),
        (2, date(2027, 2, 1), D("2500.01")),
    ]
    assert calls[0].label == "Ravalement de façade — instalment 1/2"


@pytest.mark.parametrize(
    "schedule,message",
    [
        ([], "at least one instalment"),
        (
            [(date(2026, 9, 1), D("5000")), (date(2026, 12, 1), D("5000"))],
            "add up to 10000.00 €, not to the total of 10000.01 € (0.01 € apart)",
        ),
        (
            [(date(2026, 9, 1), D("10000.02")), (date(2026, 12, 1), D("-0.01"))],
            "more than zero",
        ),
        ([(date(2026, 9, 1), D("10000.005"))], "two decimals"),
        (
            [
                Instalment(date(2026, 9, 1), percent=D("50")),
                Instalment(date(2026, 12, 1), percent=D("49.99")),
            ],
            "add up to 99.99 %, not 100 %",
        ),
        (
            [
                Instalment(date(2026, 9, 1), percent=D("50")),
                Instalment(date(2026, 12, 1), D("5000.00")),
            ],
            "every one as a percentage",
        ),
        (
            [(date(2026, 9, 1), D("5000.00")), (date(2026, 9, 1), D("5000.01"))],
            "give each its own date",
        ),
        ([(date(2026, 6, 19), D("10000.01"))], "before the AG's vote"),
        ([Instalment(date(2026, 9, 1))], "an amount or a percentage"),
    ],
)
def test_a_wrong_schedule_is_refused_and_creates_nothing(building, schedule, message):
    with pytest.raises(ValidationError) as error:
        _create(building, schedule=schedule)
    assert message in " ".join(error.value.messages)
    assert not WorksCall.objects.exists() and not FundCall.objects.exists()
    assert not Entry.objects.exists()


def test_the_decision_must_be_past_on_this_residences_key_with_lots(building):
    residence = building[0]
    with pytest.raises(ValidationError, match="future"):
        _create(building, decided_on=date(2099, 1, 1))
    elsewhere = make_residence(lots=1).allocation_keys.get(is_general=True)
    with pytest.raises(ValidationError, match="keys of this residence"):
        _create(building, key=elsewhere)
    empty = add_key(residence, "parking", "Parking")
    with pytest.raises(ValidationError, match="No lot bears"):
        _create(building, key=empty)
    with pytest.raises(ValidationError):
        _create(building, label="   ")
    assert not WorksCall.objects.exists() and not Entry.objects.exists()


def test_a_double_submit_creates_once(building):
    first = _create(building)
    again = _create(building, label="  Ravalement   de façade ")
    assert again.pk == first.pk
    assert WorksCall.objects.count() == 1
    assert FundCall.objects.count() == 3
    assert Entry.objects.count() == 9
    # The same decision on another schedule is refused, not added.
    with pytest.raises(ValidationError, match="another schedule"):
        _create(building, schedule=[(date(2026, 9, 1), D("10000.01"))])
    assert FundCall.objects.count() == 3


def test_the_co_owners_are_notified_once_committed(
    building, django_capture_on_commit_callbacks
):
    residence, _general, _lift, _lots, owners, _manager = building
    with django_capture_on_commit_callbacks(execute=True):
        works = _create(building)
    notes = Notification.objects.filter(category="charges")
    assert sorted(n.recipient_id for n in notes) == sorted(
        o.pk for o in owners.values()
    )
    first = works.calls.get(period=1)
    mine = notes.get(recipient=owners[3])
    assert "1113.34" in mine.body and "3340.01" in mine.body
    assert mine.url == reverse("finance:call_notice", args=[residence.slug, first.pk])
    # A double submit notifies nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        _create(building)
    assert notes.count() == 3


def test_the_notice_shows_the_co_owners_share_of_an_instalment(building):
    residence, _general, _lift, _lots, owners, _manager = building
    call = _create(building).calls.get(period=3)
    account = services.account_for(residence, owners[1].pk)
    context = notices.notice_context(call, account)
    assert context["total"] == D("1110.00")
    assert [group.lot.number for group in context["lots"]] == [1]


def test_equal_schedules_keep_the_day_inside_short_months():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    schedule = equal_schedule(D("100.00"), 3, date(2027, 1, 31), 1)
    assert schedule == [
        Instalment(date(2027, 1, 31), D("33.34")),
        Instalment(date(2027, 2, 28), D("33.33")),
        Instalment(date(2027, 3, 31), D("33.33")),
    ]
    assert schedule_amounts(D("100.00"), schedule) == [
        (date(2027, 1, 31), D("33.34")),
        (date(2027, 2, 28), D("33.33")),
        (date(2027, 3, 31), D("33.33")),
    ]
    with pytest.raises(ValidationError):
        equal_schedule(D("100.00"), 0, date(2027, 1, 1), 1)
    # More instalments than cents: an instalment would be zero.
    with pytest.raises(ValidationError, match="more than zero"):
        schedule_amounts(D("0.02"), equal_schedule(D("0.02"), 3, date(2027, 1, 1), 1))


@pytest.mark.parametrize("lots", [6, 60])
def test_calling_works_costs_the_same_queries_whatever_the_lots(
    lots, django_assert_max_num_queries
):
    residence = make_residence(lots=lots)
    for lot in residence.lots.all():
        make_member(residence, Role.OWNER, lots=[lot])
    general = residence.allocation_keys.get(is_general=True)
    with django_assert_max_num_queries(40):
        works_call_create(
            residence=residence,
            label="Toiture",
            decided_on=date(2026, 6, 12),
            key=general,
            total=Decimal("10000.01"),
            schedule=equal_schedule(Decimal("10000.01"), 3, date(2027, 1, 1), 4),
            by=None,
        )
    entries = Entry.objects.filter(call__works__residence=residence)
    assert entries.count() == 3 * lots
    assert entries.aggregate(total=Sum("amount"))["total"] == Decimal("10000.01")
