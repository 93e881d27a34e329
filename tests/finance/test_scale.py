"""Ten years of generated charges for benchmarks: the exact number of entries asked
for, nothing more on a second run, and ledgers that add up."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from finance import services
from finance.models import Budget, CallShare, Entry, EntryKind, FundCall
from finance.scale import seed_entries
from residents.models import Residence
from residents.scale import seed_scale

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 24)  # every call of the ten years (2017-2026) is due


@pytest.fixture
def generated(db):
    """Two generated residences of ten lots: eight flats, each with its owner."""
    seed_scale(2, lots_per_residence=10)
    return list(Residence.objects.filter(slug__startswith="scale-").order_by("pk"))


def _entries(residences):
    return Entry.objects.filter(account__residence__in=residences)


def test_a_total_is_reached_exactly_and_a_second_run_adds_nothing(generated):
    assert seed_entries(1501, today=TODAY) == 1501
    assert _entries(generated).count() == 1501
    per_residence = dict(
        _entries(generated)
        .values_list("account__residence")
        .annotate(n=Count("pk"))
        .values_list("account__residence", "n")
    )
    assert sorted(per_residence.values()) == [750, 751]  # shared evenly
    assert seed_entries(1501, today=TODAY) == 0
    assert _entries(generated).count() == 1501
    # Asking for more tops up to the new total, each call entry still once.
    assert seed_entries(3000, today=TODAY) == 1499
    assert _entries(generated).count() == 3000
    calls = _entries(generated).filter(kind=EntryKind.CALL)
    assert calls.count() == calls.values("account", "call").distinct().count()


def test_ten_years_of_budgets_and_calls_split_exactly(generated):
    residence = generated[0]
    seed_entries(1000, residences=[residence], today=TODAY)
    budgets = Budget.objects.filter(residence=residence)
    assert sorted(budgets.values_list("year", flat=True)) == list(range(2017, 2027))
    assert all(b.works_fund > 0 and b.lines.count() == 2 for b in budgets)
    calls = FundCall.objects.filter(residence=residence)
    assert calls.count() == 40
    for call in calls:
        shares = CallShare.objects.filter(call=call).aggregate(total=Sum("amount"))
        assert shares["total"] == call.total
    # Each co-owner's call entry is the sum of their lots' shares, as when issued.
    owners = services.owners_by_lot(residence)
    call = calls.order_by("due_on").first()
    for entry in Entry.objects.filter(call=call).select_related("account"):
        lots = [lot for lot, owner in owners.items() if owner == entry.account.owner_id]
        mine = CallShare.objects.filter(call=call, lot_id__in=lots)
        assert entry.amount == mine.aggregate(total=Sum("amount"))["total"]
        assert (entry.on, entry.due_on) == (date(2016, 12, 1), date(2017, 1, 1))


def test_the_payments_settle_every_call_but_a_few_arrears(generated):
    residence = generated[0]
    # 8 co-owners × 40 calls = 320 call entries; 1 000 entries in all leave 680
    # payments over the 318 calls paid (one co-owner owes their last two).
    seed_entries(1000, residences=[residence], today=TODAY)
    entries = _entries([residence])
    assert entries.filter(kind=EntryKind.CALL).count() == 320
    payments = entries.filter(kind=EntryKind.PAYMENT)
    assert payments.count() == 680
    assert not payments.filter(amount__gte=0).exists()
    assert not payments.filter(on__gt=TODAY).exists()
    assert payments.values("source_ref").distinct().count() == 680
    balances = {
        row["account"]: row["balance"]
        for row in entries.values("account").annotate(balance=Sum("amount"))
    }
    owing = {account: b for account, b in balances.items() if b != 0}
    assert len(balances) == 8 and len(owing) == 1
    ((account, balance),) = owing.items()
    last_two = Entry.objects.filter(account=account, kind=EntryKind.CALL).order_by(
        "-due_on"
    )[:2]
    assert balance == sum((e.amount for e in last_two), Decimal("0.00"))


def test_a_small_total_fills_the_oldest_calls_first(generated):
    residence = generated[0]
    assert seed_entries(20, residences=[residence], today=TODAY) == 20
    entries = _entries([residence])
    assert set(entries.values_list("kind", flat=True)) == {EntryKind.CALL}
    assert set(entries.values_list("due_on", flat=True)) <= {
        date(2017, 1, 1),
        date(2017, 4, 1),
        date(2017, 7, 1),
    }


def test_nothing_to_fill_without_generated_residences(db):
    assert seed_entries(1000, today=TODAY) == 0
    assert not Entry.objects.exists()


def test_seed_demo_fills_the_generated_residences_with_entries(db):
    out = io.StringIO()
    call_command(
        "seed_demo", "--scale", "1", "--lots", "10", "--entries", "500", stdout=out
    )
    residence = Residence.objects.get(slug__startswith="scale-")
    assert _entries([residence]).count() == 500
    assert "Added 500 ledger entries" in out.getvalue()
    call_command("seed_demo", "--entries", "500", stdout=out)
    assert _entries([residence]).count() == 500
