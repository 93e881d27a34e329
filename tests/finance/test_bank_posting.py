"""Posting bank lines and payments typed in by hand: one payment and one ledger
entry each, whatever the clicks; balances move by exactly the amount received."""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation

from finance import banking, payments
from finance.models import (
    BankImport,
    BankLine,
    BankLineStatus,
    Entry,
    EntryKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from notifications.models import Notification

from .statements import bank_world

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _english():
    """Entry labels are written in the language of the request: English here."""
    with translation.override("en"):
        yield


@pytest.fixture
def bank(world):
    bank = bank_world(world)
    banking.statement_import(
        residence=world.home,
        file=bank.sample("camt053.xml"),
        by=world.user("manager"),
    )
    return bank


def _line(persona, bank):
    """The statement line proposed for the persona's account."""
    return BankLine.objects.get(account=bank.accounts[persona])


def _ledger():
    return (
        Payment.objects.count(),
        list(Entry.objects.order_by("pk").values_list("pk", "amount")),
        list(BankLine.objects.order_by("pk").values_list("status", "account_id")),
    )


def test_posting_a_line_records_the_payment_and_its_entry(
    bank, django_capture_on_commit_callbacks
):
    manager = bank.world.user("manager")
    owner = bank.accounts["owner"]
    line = _line("owner", bank)
    before = payments.balance_owed(owner)
    with django_capture_on_commit_callbacks(execute=True):
        payment = banking.line_post(line=line, account=owner, by=manager)
    line.refresh_from_db()
    assert (line.status, line.payment, line.reviewed_by) == (
        BankLineStatus.POSTED,
        payment,
        manager,
    )
    assert (payment.account, payment.amount, payment.method, payment.status) == (
        owner,
        D("450.00"),
        PaymentMethod.TRANSFER,
        PaymentStatus.SUCCEEDED,
    )
    assert payment.succeeded_at is not None and payment.created_by == manager
    # The statement quoted the first call's reference: the payment says so.
    assert list(payment.calls.all()) == [bank.calls[0]]
    entry = Entry.objects.get(source_ref=f"bank:{line.pk}")
    assert (entry.account, entry.kind, entry.amount, entry.on) == (
        owner,
        EntryKind.PAYMENT,
        D("-450.00"),
        date(2027, 1, 2),
    )
    assert payments.balance_owed(owner) == before - D("450.00")
    # Credits pay the oldest call first.
    assert [due.call for due in payments.unpaid_calls(owner)] == bank.calls[1:]
    note = Notification.objects.get(recipient=owner.owner)
    assert "450.00" in note.title + note.body


def test_a_double_click_posts_once(bank):
    manager = bank.world.user("manager")
    line = _line("owner", bank)
    first = banking.line_post(line=line, account=bank.accounts["owner"], by=manager)
    before = _ledger()
    # The second click names another account: the line is posted already.
    again = banking.line_post(line=line, account=bank.accounts["council"], by=manager)
    assert again == first
    assert _ledger() == before
    assert Entry.objects.filter(source_ref__startswith="bank:").count() == 1


def _at_once(*calls):
    """Run the calls in threads released together (each with its own database
    connection); their results and errors."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except Exception as error:  # reported by the caller's assertions
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_of_a_line_post_once(world):
    """Two requests at the same moment: the second waits for the line's lock, then
    finds it posted."""
    bank = bank_world(world)
    banking.statement_import(
        residence=world.home, file=bank.sample("camt053.xml"), by=world.user("manager")
    )
    line = _line("owner", bank)
    staff = world.user("staff")
    results, errors = _at_once(
        lambda: banking.line_post(line=line, account=bank.accounts["owner"], by=staff),
        lambda: banking.line_post(
            line=line, account=bank.accounts["council"], by=staff
        ),
    )
    assert errors == []
    assert results[0].pk == results[1].pk
    assert Payment.objects.count() == 1
    assert Entry.objects.filter(kind=EntryKind.PAYMENT).count() == 1
    # Whichever click came first chose the account: 450.00 is credited once.
    assert payments.balance_owed(bank.accounts["owner"]) + payments.balance_owed(
        bank.accounts["council"]
    ) == D("3150.00")


@pytest.mark.django_db(transaction=True)
def test_a_form_sent_twice_at_once_records_once(world):
    bank = bank_world(world)
    token = uuid.uuid4()
    results, errors = _at_once(
        lambda: _manual(bank, token), lambda: _manual(bank, token)
    )
    assert errors == []
    assert sorted(result is None for result in results) == [False, True]
    assert Payment.objects.count() == 1
    assert payments.balance_owed(bank.accounts["owner"]) == D("1350.00")


@pytest.mark.django_db(transaction=True)
def test_the_same_statement_imported_twice_at_once_is_queued_once(world):
    bank = bank_world(world)
    data = bank.sample("camt053.xml")
    results, errors = _at_once(
        *[
            lambda: banking.statement_import(
                residence=world.home, file=data, by=world.user("staff")
            )
        ]
        * 2
    )
    assert errors == []
    assert sorted(report.created for report in results) == [False, True]
    assert BankImport.objects.count() == 1
    assert BankLine.objects.count() == 3


def test_the_syndic_may_post_a_line_to_another_account_than_proposed(bank):
    line = _line("council", bank)
    banking.line_post(
        line=line, account=bank.accounts["president"], by=bank.world.user("staff")
    )
    line.refresh_from_db()
    assert line.account == bank.accounts["president"]
    assert payments.balance_owed(bank.accounts["president"]) == D("1950.00")
    assert payments.balance_owed(bank.accounts["council"]) == D("1800.00")
    assert not bank.accounts["president"].payments.get().calls.exists()


def test_an_account_of_another_residence_is_refused(bank):
    from finance.models import Account

    from ..factories import make_member

    stranger = make_member(bank.world.other, "owner").user
    foreign = Account.objects.create(residence=bank.world.other, owner=stranger)
    line = _line("owner", bank)
    before = _ledger()
    with pytest.raises(ValidationError):
        banking.line_post(line=line, account=foreign, by=bank.world.user("manager"))
    assert _ledger() == before


def test_posting_every_proposed_line(bank):
    manager = bank.world.user("manager")
    unmatched = BankLine.objects.create(
        residence=bank.world.home,
        statement=BankLine.objects.first().statement,
        fingerprint="x",
        booked_on=date(2027, 1, 9),
        amount=D("12.00"),
    )
    assert banking.proposed_lines_post(residence=bank.world.home, by=manager) == 3
    assert {
        persona: payments.balance_owed(account)
        for persona, account in bank.accounts.items()
    } == {
        "owner": D("1350.00"),
        "council": D("1350.00"),
        "president": D("1800.00"),
    }
    unmatched.refresh_from_db()
    assert unmatched.status == BankLineStatus.UNMATCHED
    # Again: nothing left to post, nothing posted twice.
    before = _ledger()
    assert banking.proposed_lines_post(residence=bank.world.home, by=manager) == 0
    assert _ledger() == before


def test_ignoring_a_line(bank):
    line = _line("council", bank)
    staff = bank.world.user("staff")
    banking.line_ignore(line=line, by=staff)
    line.refresh_from_db()
    assert (line.status, line.reviewed_by) == (BankLineStatus.IGNORED, staff)
    assert line.history.first().history_user == staff
    # Ignored by mistake: it can still be posted.
    banking.line_post(line=line, account=bank.accounts["council"], by=staff)
    line.refresh_from_db()
    assert line.status == BankLineStatus.POSTED
    with pytest.raises(ValidationError):
        banking.line_ignore(line=line, by=staff)
    line.refresh_from_db()
    assert line.status == BankLineStatus.POSTED


def _manual(bank, token=None, **overrides):
    values = {
        "account": bank.accounts["owner"],
        "amount": D("450.00"),
        "method": PaymentMethod.CHEQUE,
        "on": timezone.localdate() - timedelta(days=1),
        "reference": "  n° 1234567 ",
        "by": bank.world.user("staff"),
        "token": token or uuid.uuid4(),
    }
    values.update(overrides)
    return banking.manual_payment_record(**values)


def test_a_cheque_typed_in_by_hand(bank):
    owner = bank.accounts["owner"]
    payment = _manual(bank)
    entry = Entry.objects.get(source_ref__startswith="manual:")
    assert (payment.method, payment.status, payment.amount) == (
        PaymentMethod.CHEQUE,
        PaymentStatus.SUCCEEDED,
        D("450.00"),
    )
    assert (entry.amount, entry.on, entry.label) == (
        D("-450.00"),
        timezone.localdate() - timedelta(days=1),
        "Cheque · n° 1234567",
    )
    assert payments.balance_owed(owner) == D("1350.00")


def test_the_same_form_sent_twice_records_once(bank):
    token = uuid.uuid4()
    assert _manual(bank, token) is not None
    before = _ledger()
    assert _manual(bank, token) is None
    # Even changed (another account) and sent again: nothing new.
    assert _manual(bank, token, account=bank.accounts["council"]) is None
    assert _ledger() == before
    assert payments.balance_owed(bank.accounts["council"]) == D("1800.00")


@pytest.mark.parametrize(
    "overrides",
    [
        {"method": PaymentMethod.CARD},
        {"amount": D("0")},
        {"amount": D("-5")},
        {"on": timezone.localdate() + timedelta(days=2)},
    ],
)
def test_a_bad_manual_payment_is_refused(bank, overrides):
    before = _ledger()
    with pytest.raises(ValidationError):
        _manual(bank, **overrides)
    assert _ledger() == before


def test_a_transfer_typed_in_by_hand_then_its_line_ignored(bank):
    """The syndic typed the transfer in, then ignores its statement line: the
    co-owner is credited once."""
    _manual(bank, method=PaymentMethod.TRANSFER, reference="")
    banking.line_ignore(line=_line("owner", bank), by=bank.world.user("staff"))
    assert payments.balance_owed(bank.accounts["owner"]) == D("1350.00")
    assert Entry.objects.get(source_ref__startswith="manual:").label == "Bank transfer"
