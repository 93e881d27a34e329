"""Importing bank statements: credit lines queued once, matched to co-owners by
their notice's reference or by name and amount; the same file twice changes
nothing; an unreadable file stores nothing."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from finance import bank_matching, banking, payments, services, statements
from finance.models import (
    BankFormat,
    BankImport,
    BankLine,
    BankLineStatus,
    Entry,
    EntryKind,
    Payment,
)

from ..factories import make_member
from .statements import bank_world, sample

pytestmark = pytest.mark.django_db

D = Decimal
U = BankLineStatus.UNMATCHED
P = BankLineStatus.PROPOSED


@pytest.fixture
def bank(world):
    return bank_world(world)


def _import(bank, data: bytes, name="releve.csv"):
    return banking.statement_import(
        residence=bank.world.home,
        file=SimpleUploadedFile(name, data),
        by=bank.world.user("manager"),
    )


def _queue(bank):
    """Each line as (amount, status, persona of the account proposed)."""
    persona = {account.pk: p for p, account in bank.accounts.items()}
    return [
        (line.amount, line.status, persona.get(line.account_id))
        for line in BankLine.objects.order_by("booked_on", "pk")
    ]


def _snapshot():
    return (
        BankImport.objects.count(),
        list(
            BankLine.objects.order_by("pk").values_list(
                "pk", "fingerprint", "status", "account_id", "statement_id"
            )
        ),
        Entry.objects.count(),
        Payment.objects.count(),
        BankLine.history.count(),
    )


def test_a_french_csv_is_queued_and_matched(bank):
    report = _import(bank, bank.sample("fr_debit_credit_cp1252.csv"))
    assert report.created
    assert (report.read, report.new, report.known, report.skipped) == (6, 5, 0, 1)
    assert report.proposed == 2
    assert _queue(bank) == [
        (D("450.00"), P, "owner"),  # the notice's reference, in the label
        (D("450.00"), P, "council"),  # "LEFÈVRE" and an unpaid call of 450.00
        (D("600.00"), U, None),  # a cheque: no name, no reference
        (D("99.99"), U, None),
        (D("99.99"), U, None),  # the same transfer twice: two lines
    ]
    statement = report.statement
    assert (statement.format, statement.line_count, statement.new_count) == (
        BankFormat.CSV,
        6,
        5,
    )
    assert statement.file_name == "releve.csv"
    assert statement.imported_by == bank.world.user("manager")
    # Nothing is posted before the syndic reviews it; the debit is not stored.
    assert not Payment.objects.exists()
    assert not Entry.objects.filter(kind=EntryKind.PAYMENT).exists()
    assert not BankLine.objects.filter(amount__lt=0).exists()
    # Each line's creation is in its history.
    assert BankLine.history.filter(history_type="+").count() == 5


def test_importing_the_same_file_again_changes_nothing(bank):
    data = bank.sample("fr_debit_credit_cp1252.csv")
    first = _import(bank, data)
    before = _snapshot()
    again = _import(bank, data, name="copie.csv")
    assert not again.created
    assert again.statement == first.statement
    assert (again.new, again.known, again.proposed) == (0, 5, 0)
    assert _snapshot() == before


def test_importing_again_after_posting_changes_nothing(bank):
    data = bank.sample("camt053.xml")
    _import(bank, data, name="camt.xml")
    banking.proposed_lines_post(
        residence=bank.world.home, by=bank.world.user("manager")
    )
    before = _snapshot()
    _import(bank, data, name="camt.xml")
    # The same lines in another file (a later export of the same days) add nothing.
    regenerated = data.replace(b"2027-01-08T06:12:45", b"2027-01-09T07:00:00")
    report = _import(bank, regenerated, name="camt-bis.xml")
    assert report.created and (report.new, report.known) == (0, 3)
    assert _snapshot()[1:] == before[1:]
    assert BankImport.objects.count() == before[0] + 1  # the second file, empty


def test_an_overlapping_statement_adds_only_its_new_lines(bank):
    data = bank.sample("fr_debit_credit_cp1252.csv")
    _import(bank, data)
    later = data.replace(
        b";Total", b"08/01/2027;VIR SEPA RECU /DE M PAUL MARTIN;;600,00;\r\n;Total"
    )
    report = _import(bank, later, name="releve-2.csv")
    assert (report.read, report.new, report.known, report.skipped) == (7, 1, 5, 1)
    line = BankLine.objects.get(statement=report.statement)
    assert (line.booked_on, line.amount, line.status) == (
        date(2027, 1, 8),
        D("600.00"),
        P,
    )
    assert line.account == bank.accounts["president"]
    assert BankLine.objects.count() == 6


def test_camt053_lines_are_matched_by_reference_and_by_name(bank):
    report = _import(bank, bank.sample("camt053.xml"), name="camt.xml")
    # 4 entries + 1 pending; the batch gives two lines: 5 transactions read.
    assert (report.read, report.new, report.skipped, report.proposed) == (5, 3, 2, 3)
    assert _queue(bank) == [
        (D("450.00"), P, "owner"),  # EndToEndId = the notice's reference
        (D("450.00"), P, "council"),  # Dbtr "Mme LEFÈVRE Marie" + 450.00 due
        (D("600.00"), P, "president"),  # the reference in the remittance text
    ]


@pytest.mark.parametrize("name", ["statement_v1.ofx", "statement_v2.ofx"])
def test_ofx_lines_are_matched(bank, name):
    report = _import(bank, bank.sample(name), name=name)
    assert report.statement.format == BankFormat.OFX
    queue = _queue(bank)
    assert queue[0] == (D("450.00"), P, "owner")
    # v1: a cheque without a name; v2: "MARTIN PAUL" paying the 600.00 due.
    assert queue[1] == (
        (D("600.00"), U, None)
        if name.endswith("v1.ofx")
        else (D("600.00"), P, "president")
    )


def _csv(*rows: str) -> bytes:
    return ("Date;Libellé;Tiers;Montant\n" + "\n".join(rows) + "\n").encode()


def test_the_reference_is_read_whatever_its_case_and_spaces(bank):
    reference = bank.reference("owner", period=2)  # e.g. les-tilleuls-2-1
    slug, call, account = reference.rsplit("-", 2)
    garbled = f"REF {slug.upper()[:4]} {slug.upper()[4:]} - {call}-{account} 5 EUR"
    _import(bank, _csv(f"02/01/2027;VIR {garbled};SCI DU PARC;123,45"))
    # An amount nobody owes and a payer's name nobody has: the reference decides.
    assert _queue(bank) == [(D("123.45"), P, "owner")]


@pytest.mark.parametrize(
    "text,found",
    [
        ("les-tilleuls-12-34", {(12, 34)}),
        ("VIR LES-TILLEULS-12-34", {(12, 34)}),
        ("ref: Les - Tilleuls - 12 - 3 4 9 €", {(12, 34)}),  # 349 is nobody
        ("les-tilleuls-12-345", {(12, 345)}),  # the longest known account
        ("les-tilleuls-12-34 les-tilleuls-13-34", {(12, 34), (13, 34)}),
        ("les-tilleuls-12", set()),
        ("tilleuls-12-34", set()),
        ("les-tilleuls-99-34", set()),  # not a call of this account
    ],
)
def test_references_are_read_whatever_their_spaces_and_case(text, found):
    pairs = {(12, 34), (12, 345), (13, 34)}
    assert bank_matching.referenced(text, "les-tilleuls", pairs) == found


def test_a_reference_of_another_residence_or_account_is_not_trusted(bank):
    other = bank.world.other
    fake = f"{bank.world.home.slug}-{bank.calls[0].pk}-999999"
    foreign = f"{other.slug}-{bank.calls[0].pk}-{bank.accounts['owner'].pk}"
    _import(
        bank,
        _csv(
            f"02/01/2027;VIR {fake};X;450,00",
            f"03/01/2027;VIR {foreign};Y;450,00",
        ),
    )
    assert _queue(bank) == [(D("450.00"), U, None), (D("450.00"), U, None)]


def test_name_and_amount(bank):
    balance = payments.balance_owed(bank.accounts["owner"])
    assert balance == D("1800.00")  # the year's four calls
    _import(
        bank,
        _csv(
            "02/01/2027;VIREMENT;M. JEAN DUPONT;1800,00",  # the whole balance
            "03/01/2027;VIREMENT;DUPONT;123,45",  # owes nothing of the kind
            "04/01/2027;VIR DE MARTIN PAUL CHARGES;;600,00",  # the name in the label
            "05/01/2027;VIREMENT;DUPONTEL;450,00",  # not the same name
        ),
    )
    assert _queue(bank) == [
        (D("1800.00"), P, "owner"),
        (D("123.45"), U, None),
        (D("600.00"), P, "president"),
        (D("450.00"), U, None),
    ]


def test_two_co_owners_of_the_same_name_are_told_apart_by_first_name(bank):
    world = bank.world
    council = world.user("council")
    council.last_name = "Dupont"
    council.save(update_fields=["last_name"])
    _import(
        bank,
        _csv(
            "02/01/2027;VIREMENT;MARIE DUPONT;450,00",
            "03/01/2027;VIREMENT;DUPONT;450,00",  # either of them: left to review
        ),
    )
    assert _queue(bank) == [(D("450.00"), P, "council"), (D("450.00"), U, None)]


def test_the_amount_owed_follows_the_oldest_debt_first_rule(bank):
    account = bank.accounts["president"]
    services.entry_post(
        account=account, kind=EntryKind.PAYMENT, amount=D("-700.00"), label="Virement"
    )
    matcher = bank_matching.matcher_for(bank.world.home, [])
    dues = {due.amount for due in payments.unpaid_calls(account)}
    assert matcher.payers[account.pk].dues == dues == {D("500.00"), D("600.00")}
    assert matcher.payers[account.pk].balance == D("1700.00")
    _import(
        bank,
        _csv(
            "02/01/2027;VIR;PAUL MARTIN;500,00",  # what remains on the first call
            "03/01/2027;VIR;PAUL MARTIN;100,00",  # neither a call nor the balance
        ),
    )
    assert _queue(bank) == [(D("500.00"), P, "president"), (D("100.00"), U, None)]


def test_a_payment_typed_in_by_hand_is_not_proposed_again(bank):
    """A cheque recorded when received, then seen on the statement: the line is
    left to review, so it is not posted twice. Long after, it is not a repeat."""
    today = timezone.localdate()
    banking.manual_payment_record(
        account=bank.accounts["owner"],
        amount=D("450.00"),
        method="cheque",
        on=today - timedelta(days=5),
        reference="1234567",
        by=bank.world.user("manager"),
        token=uuid.uuid4(),
    )
    later = today + timedelta(days=30)
    _import(
        bank,
        _csv(
            f"{today:%d/%m/%Y};REMISE CHEQUE {bank.reference('owner')};;450,00",
            f"{today:%d/%m/%Y};VIREMENT;MARIE LEFEVRE;450,00",
            f"{later:%d/%m/%Y};VIREMENT {bank.reference('owner', 3)};;450,00",
        ),
    )
    assert _queue(bank) == [
        (D("450.00"), U, None),
        (D("450.00"), P, "council"),
        (D("450.00"), P, "owner"),
    ]


@pytest.mark.parametrize(
    "name", ["bad_date.csv", "bad_amount.csv", "no_header.csv", "not_a_statement.bin"]
)
def test_an_unreadable_file_stores_nothing(bank, name):
    before = _snapshot()
    with pytest.raises(ValidationError):
        _import(bank, sample(name), name=name)
    assert _snapshot() == before


def test_lines_belong_to_their_residence(bank):
    """The same statement lines in another residence are that residence's own."""
    data = bank.sample("camt053.xml")
    _import(bank, data)
    make_member(bank.world.other, "owner")
    report = banking.statement_import(
        residence=bank.world.other, file=data, by=bank.world.user("other_staff")
    )
    assert report.created and report.new == 3
    assert BankLine.objects.filter(residence=bank.world.other).count() == 3
    assert not BankLine.objects.filter(
        residence=bank.world.other, status=P
    ).exists()  # no account of theirs is referenced


def test_fingerprints_are_unique_per_residence(bank):
    data = bank.sample("camt053.xml")
    report = _import(bank, data)
    parsed = statements.parse(data)
    assert set(report.statement.lines.values_list("fingerprint", flat=True)) == {
        line.fingerprint for line in parsed.credits
    }
