"""Year-end regularisation: actual shares against provisions called, posted once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.urls import reverse
from django.utils import translation

from finance import regularisation, services
from finance.models import (
    CallShare,
    ClosingLine,
    Entry,
    EntryKind,
    YearClosing,
)
from finance.works_calls import Instalment, works_call_create
from residents.models import Lot, LotShare, Role

from ..factories import add_key, make_member, make_residence, make_user

pytestmark = pytest.mark.django_db

D = Decimal
APPROVED = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _english():
    """The messages checked below are the English ones."""
    with translation.override("en"):
        yield


@pytest.fixture
def year(db):
    """The DOMAIN.md building: lots 1-4 with 250, 300, 4 725 and 4 725 general
    tantièmes (10 000); the lift key on lots 1, 3 and 4 (40, 480, 480: 1 000); a
    parking key on lot 2 only (no budget line). Alice holds lots 1 and 2, Bob lot 3;
    lot 4's owner is not on the platform. Budget 2025: 10 000 € general, 2 000 €
    lift, 500 € fonds de travaux, issued in four quarters; a works call on the
    general key in the same year."""
    residence = make_residence(lots=0)
    general = residence.allocation_keys.get(is_general=True)
    lift = add_key(residence, "ascenseur", "Ascenseur")
    parking = add_key(residence, "parking", "Parking")
    lots = {}
    for number, units, lift_units in [
        (1, 250, 40),
        (2, 300, 0),
        (3, 4_725, 480),
        (4, 4_725, 480),
    ]:
        lot = Lot.objects.create(residence=residence, number=number)
        LotShare.objects.create(lot=lot, key=general, units=units)
        if lift_units:
            LotShare.objects.create(lot=lot, key=lift, units=lift_units)
        lots[number] = lot
    LotShare.objects.create(lot=lots[2], key=parking, units=1)
    alice = make_member(residence, Role.OWNER, lots=[lots[1], lots[2]]).user
    bob = make_member(residence, Role.COUNCIL_MEMBER, lots=[lots[3]]).user
    manager = make_user()
    budget = services.budget_save(
        residence=residence,
        year=2025,
        lines={general.pk: D("10000.00"), lift.pk: D("2000.00")},
        works_fund=D("500.00"),
        by=manager,
    )
    services.budget_calls_issue(budget=budget, by=manager)
    works_call_create(
        residence=residence,
        label="Toiture",
        decided_on=date(2025, 3, 1),
        key=general,
        total=D("3000.00"),
        schedule=[Instalment(date(2025, 5, 1), D("3000.00"))],
        by=manager,
    )
    return {
        "residence": residence,
        "budget": budget,
        "general": general,
        "lift": lift,
        "parking": parking,
        "lots": lots,
        "alice": alice,
        "bob": bob,
        "manager": manager,
    }


def _save(year, general="9900.01", lift="1800.01", parking="50.00", **kw):
    actuals = {year["general"].pk: D(general), year["lift"].pk: D(lift)}
    if parking is not None:
        actuals[year["parking"].pk] = D(parking)
    return regularisation.closing_save(
        budget=year["budget"],
        approved_on=kw.get("approved_on", APPROVED),
        actuals=actuals,
        by=year["manager"],
    )


def _regul(user) -> list[Decimal]:
    return list(
        Entry.objects.filter(account__owner=user, kind=EntryKind.REGULARISATION)
        .order_by("pk")
        .values_list("amount", flat=True)
    )


def test_the_worked_example_checked_by_hand(year):
    """Provisions called (a year of quarters): lot 1 250.00 general + 80.00 lift,
    lot 2 300.00, lot 3 4 725.00 + 960.00, lot 4 4 725.00 + 960.00; the fonds de
    travaux and the works call are left out.

    Actual 9 900.01 € general: floors 247.50 / 297.00 / 4 677.75 / 4 677.75 (one
    cent missing) → lot 3 (remainder .4725, tied with lot 4, the lowest number):
    247.50, 297.00, 4 677.76, 4 677.75. Actual 1 800.01 € lift: 72.00 / 864.00 /
    864.00 and the cent to lot 3: 72.00, 864.01, 864.00. Parking 50.00 € on lot 2.

    Alice (lots 1, 2): (247.50 + 72.00 + 297.00 + 50.00) − (330.00 + 300.00)
    = 666.50 − 630.00 = +36.50 owed. Bob (lot 3): (4 677.76 + 864.01) − 5 685.00
    = −143.23, credited. Lot 4: −143.25, computed and not posted."""
    closing = _save(year)
    preview = regularisation.closing_preview(closing)
    lots = {row.lot.number: row for row in preview.lots}
    assert {n: (r.provisions, r.actual) for n, r in lots.items()} == {
        1: (D("330.00"), D("319.50")),
        2: (D("300.00"), D("347.00")),
        3: (D("5685.00"), D("5541.77")),
        4: (D("5685.00"), D("5541.75")),
    }
    parts = {(p.key.pk, p.units): p.actual for p in lots[3].parts}
    assert parts == {
        (year["general"].pk, 4725): D("4677.76"),
        (year["lift"].pk, 480): D("864.01"),
    }
    owners = {row.owner: row for row in preview.owners}
    assert set(owners) == {year["alice"], year["bob"]}
    alice, bob = owners[year["alice"]], owners[year["bob"]]
    assert (alice.provisions, alice.actual, alice.difference) == (
        D("630.00"),
        D("666.50"),
        D("36.50"),
    )
    assert (bob.provisions, bob.actual, bob.difference) == (
        D("5685.00"),
        D("5541.77"),
        D("-143.23"),
    )
    assert [row.lot.number for row in preview.unowned] == [4]
    assert lots[4].difference == D("-143.25")
    # Per key: the shares add up to the actual expenses exactly.
    keys = {k.key.pk: k for k in preview.keys}
    assert (keys[year["general"].pk].provisions, keys[year["general"].pk].actual) == (
        D("10000.00"),
        D("9900.01"),
    )
    assert keys[year["lift"].pk].actual == D("1800.01")
    assert keys[year["parking"].pk].provisions == D("0.00")
    assert preview.actual == D("11750.02") and preview.provisions == D("12000.00")
    assert preview.problems == []

    entries = regularisation.closing_post(closing=closing, by=year["manager"])
    assert _regul(year["alice"]) == [D("36.50")]
    assert _regul(year["bob"]) == [D("-143.23")]
    assert len(entries) == 2
    bob_entry = Entry.objects.get(account__owner=year["bob"], kind="regularisation")
    assert bob_entry.source_ref == f"regul:{closing.pk}:{bob_entry.account_id}"
    assert bob_entry.created_by == year["manager"]
    assert "2025" in bob_entry.label and "5541.77" in bob_entry.label
    closing.refresh_from_db()
    assert closing.posted_at is not None and closing.posted_by == year["manager"]
    # The posted entries appear on the preview.
    again = regularisation.closing_preview(closing)
    assert {r.owner: r.entry for r in again.owners} == {
        year["alice"]: Entry.objects.get(
            account__owner=year["alice"], kind="regularisation"
        ),
        year["bob"]: bob_entry,
    }


def test_the_works_fund_and_works_calls_are_not_regularised(year):
    """The year's calls hold fonds de travaux shares and a works call: none of it is
    counted as a provision."""
    lot1 = year["lots"][1]
    fund = CallShare.objects.filter(lot=lot1, works_fund=True).aggregate(
        t=Sum("amount")
    )["t"]
    works = CallShare.objects.filter(lot=lot1, call__works__isnull=False).aggregate(
        t=Sum("amount")
    )["t"]
    everything = CallShare.objects.filter(lot=lot1).aggregate(t=Sum("amount"))["t"]
    # 125.00 € a quarter: lot 1's 3.125 rounds up (largest remainder) to 3.13.
    assert fund == D("12.52") and works == D("75.00")
    assert everything == D("330.00") + fund + works
    closing = _save(year, general="10000.00", lift="2000.00", parking=None)
    preview = regularisation.closing_preview(closing)
    assert all(row.difference == 0 for row in preview.lots)
    # Actual = budget on every key: nothing to post for anyone.
    assert regularisation.closing_post(closing=closing, by=year["manager"]) == []
    assert not Entry.objects.filter(kind=EntryKind.REGULARISATION).exists()
    closing.refresh_from_db()
    assert closing.posted_at is not None


def test_posting_twice_posts_nothing_new(year):
    closing = _save(year)
    first = regularisation.closing_post(closing=closing, by=year["manager"])
    posted_at = YearClosing.objects.get(pk=closing.pk).posted_at
    again = regularisation.closing_post(closing=closing, by=year["manager"])
    assert [e.pk for e in again] == [e.pk for e in first]
    assert Entry.objects.filter(kind=EntryKind.REGULARISATION).count() == 2
    assert YearClosing.objects.get(pk=closing.pk).posted_at == posted_at
    # Even bypassing the closing's flag, each co-owner's reference posts once.
    entry = first[0]
    services.entry_post(
        account=entry.account,
        kind=EntryKind.REGULARISATION,
        amount=entry.amount,
        label=entry.label,
        source_ref=entry.source_ref,
    )
    assert Entry.objects.filter(kind=EntryKind.REGULARISATION).count() == 2


def test_the_accounts_are_editable_until_posted_then_refused(year):
    closing = _save(year, general="1.00")
    _save(year, general="9900.01")
    assert YearClosing.objects.get().pk == closing.pk
    lines = dict(ClosingLine.objects.values_list("key__code", "actual"))
    assert lines == {
        year["general"].code: D("9900.01"),
        "ascenseur": D("1800.01"),
        "parking": D("50.00"),
    }
    # A key at zero has no line (no expense).
    _save(year, parking="0")
    assert not ClosingLine.objects.filter(key=year["parking"]).exists()
    regularisation.closing_post(closing=closing, by=year["manager"])
    before = list(ClosingLine.objects.order_by("pk").values_list("key", "actual"))
    with pytest.raises(ValidationError, match="can no longer change"):
        _save(year, general="20000.00", approved_on=date(2026, 7, 1))
    assert list(ClosingLine.objects.order_by("pk").values_list("key", "actual")) == (
        before
    )
    assert YearClosing.objects.get().approved_on == APPROVED


def test_posting_is_refused_before_the_calls_are_issued(year):
    general = year["general"]
    draft = services.budget_save(
        residence=year["residence"],
        year=2026,
        lines={general.pk: D("100.00")},
        works_fund=D("0"),
        by=year["manager"],
    )
    closing = regularisation.closing_save(
        budget=draft,
        approved_on=date(2027, 5, 1),
        actuals={general.pk: D("90.00")},
        by=year["manager"],
    )
    with pytest.raises(ValidationError, match="Issue the calls"):
        regularisation.closing_post(closing=closing, by=year["manager"])
    closing.refresh_from_db()
    assert closing.posted_at is None
    assert not Entry.objects.filter(kind=EntryKind.REGULARISATION).exists()


@pytest.mark.parametrize(
    "change,message",
    [
        ({"approved_on": date(2025, 12, 31)}, "after the year ends"),
        ({"general": "-1.00"}, "cannot be negative"),
        ({"general": "1.001"}, "two decimals"),
    ],
)
def test_wrong_accounts_are_refused(year, change, message):
    with pytest.raises(ValidationError) as error:
        _save(year, **change)
    assert message in " ".join(error.value.messages)
    assert not YearClosing.objects.exists()


def test_keys_must_be_the_residences_and_borne_by_a_lot(year):
    elsewhere = make_residence(lots=1).allocation_keys.get(is_general=True)
    empty = add_key(year["residence"], "chauffage", "Chauffage")
    for key, message in [(elsewhere, "keys of this residence"), (empty, "No lot")]:
        with pytest.raises(ValidationError, match=message):
            regularisation.closing_save(
                budget=year["budget"],
                approved_on=APPROVED,
                actuals={key.pk: D("10.00")},
                by=year["manager"],
            )
    assert not YearClosing.objects.exists()


def test_a_key_no_longer_borne_blocks_the_posting(year):
    """Tantièmes changed after saving: the preview says why and posting is
    refused."""
    closing = _save(year)
    LotShare.objects.filter(key=year["parking"]).delete()
    preview = regularisation.closing_preview(closing)
    assert preview.problems and "Parking" in preview.problems[0]
    with pytest.raises(ValidationError, match="Parking"):
        regularisation.closing_post(closing=closing, by=year["manager"])
    assert not Entry.objects.filter(kind=EntryKind.REGULARISATION).exists()


def test_the_regularisation_goes_to_the_owner_on_the_day_it_is_posted(year):
    """Lot 4 gets a co-owner before the posting: its difference is theirs."""
    carol = make_member(year["residence"], Role.OWNER, lots=[year["lots"][4]]).user
    closing = _save(year)
    regularisation.closing_post(closing=closing, by=year["manager"])
    assert _regul(carol) == [D("-143.25")]
    total = Entry.objects.filter(kind=EntryKind.REGULARISATION).aggregate(
        t=Sum("amount")
    )["t"]
    assert total == D("36.50") + D("-143.23") + D("-143.25")


def test_each_co_owner_is_told_once(year, django_capture_on_commit_callbacks):
    from notifications.models import Notification

    closing = _save(year)
    with django_capture_on_commit_callbacks(execute=True):
        entries = regularisation.closing_post(closing=closing, by=year["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        regularisation.closing_post(closing=closing, by=year["manager"])
    account_page = reverse("finance:account", args=[closing.budget.residence.slug])
    told = Notification.objects.filter(url=account_page)
    assert entries and sorted(n.recipient_id for n in told) == sorted(
        e.account.owner_id for e in entries
    )
