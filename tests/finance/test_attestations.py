"""Attestations and statements: exact figures from a known ledger, the PDF they give,
codes, and the public check (genuine, unknown, tampered)."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from pypdf import PdfReader

from finance import attestation_figures, attestation_pdf, attestations, services
from finance.attestations import Period
from finance.models import (
    Attestation,
    AttestationKind,
    CallKind,
    EntryKind,
    FundCall,
)

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 2, 1)


def pdf_text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text.replace("\xa0", " ").replace("\u202f", " ")


def pay(account, amount: str, on: date, label="Virement"):
    return services.entry_post(
        account=account, kind=EntryKind.PAYMENT, amount=D(amount), label=label, on=on
    )


@pytest.fixture
def ledger(world):
    """The owner (lots 1 and 2: 300 of 2 100 general tantièmes) in 2025.

    Budget 12 000 € + fonds de travaux 600 €, four calls of 450.00 € for these lots
    (428.57 provisions + 21.43 fonds de travaux each); a works call of 300.00 € due
    1 Sep; a regularisation credit of 12.34 € on 15 Dec. Paid: 400 on 10 Jan (50
    short), 500 on 5 Apr, 450 on 20 Jul (the July call was due on the 1st), 300 on
    20 Sep, 450 on 2 Oct."""
    owner = world.user("owner")
    owner.first_name, owner.last_name = "Camille", "Durand"
    owner.save(update_fields=["first_name", "last_name"])
    key = world.home.allocation_keys.get(is_general=True)
    budget = services.budget_save(
        residence=world.home,
        year=2025,
        lines={key.pk: D("12000")},
        works_fund=D("600"),
        by=world.user("manager"),
    )
    services.budget_calls_issue(budget=budget, by=world.user("manager"))
    account = services.account_for(world.home, owner.pk)
    works = FundCall.objects.create(
        residence=world.home,
        kind=CallKind.WORKS,
        label="Ravalement 1/1",
        due_on=date(2025, 9, 1),
        total=D("2100.00"),
    )
    services.entry_post(
        account=account,
        kind=EntryKind.CALL,
        amount=D("300.00"),
        label="Ravalement 1/1",
        on=date(2025, 6, 20),
        due_on=date(2025, 9, 1),
        call=works,
    )
    services.entry_post(
        account=account,
        kind=EntryKind.REGULARISATION,
        amount=D("-12.34"),
        label="Régularisation 2024",
        on=date(2025, 12, 15),
    )
    pay(account, "-400.00", date(2025, 1, 10))
    pay(account, "-500.00", date(2025, 4, 5))
    pay(account, "-450.00", date(2025, 7, 20))
    pay(account, "-300.00", date(2025, 9, 20))
    pay(account, "-450.00", date(2025, 10, 2))
    return account


def issue(account, kind, period, by=None):
    with translation.override("en"):
        return attestations.attestation_issue(
            kind=kind, account=account, period=period, by=by, today=TODAY
        )


# ------------------------------------------------------------------ figures


def test_the_attestation_of_payment_states_an_account_up_to_date(ledger):
    issued = issue(ledger, AttestationKind.PAYMENT, Period(end=date(2025, 4, 30)))
    figures = Attestation.objects.get(pk=issued.attestation.pk).figures
    # Due by 30 April: the January and April calls; paid 400 + 500.
    assert D(figures["owed"]) == D("900.00")
    assert D(figures["credited"]) == D("900.00")
    assert D(figures["balance"]) == D("0.00")
    assert figures["owner"] == "Camille Durand"
    assert figures["lots"] == [1, 2]
    assert issued.attestation.period_start is None
    assert issued.attestation.period_end == date(2025, 4, 30)


def test_a_payment_after_the_date_does_not_make_it_up_to_date(ledger):
    """On 31 March 50 € of the January call were unpaid (paid on 5 April only):
    refused, saying what was outstanding; nothing is issued."""
    with pytest.raises(ValidationError) as refused:
        issue(ledger, AttestationKind.PAYMENT, Period(end=date(2025, 3, 31)))
    messages = refused.value.messages
    assert "50.00 €" in messages[0] and "March 31, 2025" in messages[0]
    assert messages[1] == "Provision 1/4 2025, due on Jan. 1, 2025: 50.00 € unpaid."
    assert not Attestation.objects.exists()


def test_what_is_outstanding_is_listed_oldest_first(ledger):
    """On 10 July: 1 350 € due, 900 € paid: the July call is entirely unpaid."""
    figures = attestation_figures.payment_figures(ledger, date(2025, 7, 10))
    assert D(figures["balance"]) == D("450.00")
    assert figures["unpaid"] == [
        {"label": "Provision 3/4 2025", "date": "2025-07-01", "amount": "450.00"}
    ]


def test_an_account_in_credit_is_up_to_date(ledger):
    issued = issue(ledger, AttestationKind.PAYMENT, Period(end=date(2025, 12, 31)))
    assert D(issued.attestation.figures["balance"]) == D("-12.34")


def test_the_statement_has_opening_balance_every_entry_and_closing_balance(ledger):
    issued = issue(
        ledger,
        AttestationKind.STATEMENT,
        Period(start=date(2025, 3, 1), end=date(2025, 7, 31)),
    )
    figures = issued.attestation.figures
    assert D(figures["opening"]) == D("50.00")  # 450 due in January − 400 paid
    assert [(e["date"], e["label"], D(e["amount"])) for e in figures["entries"]] == [
        ("2025-04-01", "Provision 2/4 2025", D("450.00")),
        ("2025-04-05", "Virement", D("-500.00")),
        ("2025-07-01", "Provision 3/4 2025", D("450.00")),
        ("2025-07-20", "Virement", D("-450.00")),
    ]
    assert D(figures["debits"]) == D("900.00")
    assert D(figures["credits"]) == D("950.00")
    assert D(figures["closing"]) == D("0.00")
    assert issued.attestation.period_start == date(2025, 3, 1)


def test_a_call_counts_from_its_due_date_not_the_day_it_was_posted(ledger):
    """The works call was posted on 20 June but falls due on 1 September."""
    figures = attestation_figures.statement_figures(
        ledger, date(2025, 6, 1), date(2025, 8, 31)
    )
    assert "Ravalement 1/1" not in [e["label"] for e in figures["entries"]]
    figures = attestation_figures.statement_figures(
        ledger, date(2025, 9, 1), date(2025, 9, 1)
    )
    assert [e["label"] for e in figures["entries"]] == ["Ravalement 1/1"]


def test_the_yearly_summary_splits_the_calls_by_kind(ledger):
    issued = issue(
        ledger,
        AttestationKind.YEARLY,
        Period(start=date(2025, 1, 1), end=date(2025, 12, 31)),
    )
    figures = issued.attestation.figures
    lines = {name: D(amount) for name, amount in figures["lines"].items()}
    # Each quarter, fonds de travaux 150 € over 2 100 tantièmes: lot 1 7.14, lot 2
    # 14.29 (it gets one of the three odd cents) → 21.43; provisions 428.57.
    assert lines == {
        "provisions": D("1714.28"),
        "works_fund": D("85.72"),
        "works": D("300.00"),
        "regularisation": D("-12.34"),
        "payments": D("-2100.00"),
        "refunds": D("0.00"),
        "fees": D("0.00"),
        "adjustments": D("0.00"),
    }
    assert D(figures["opening"]) == D("0.00")
    assert D(figures["closing"]) == D("-12.34")
    assert figures["year"] == 2025


def test_the_yearly_summary_of_the_current_year_stops_today(ledger):
    """2026 so far: the January 2026 call does not exist, the balance is carried."""
    issued = issue(
        ledger,
        AttestationKind.YEARLY,
        Period(start=date(2026, 1, 1), end=date(2026, 12, 31)),
    )
    assert issued.attestation.period_end == TODAY
    assert D(issued.attestation.figures["opening"]) == D("-12.34")
    assert D(issued.attestation.figures["closing"]) == D("-12.34")


def test_the_fonds_de_travaux_is_split_in_proportion_once_lots_changed_hands(
    world, ledger
):
    """The owner sold lot 2: the call entries still hold both lots' shares, so the
    split follows the call's proportions, exact to the cent."""
    membership = world.home.memberships.get(user=world.user("owner"))
    membership.lots.remove(world.home.lots.get(number=2))
    lines = attestation_figures.yearly_figures(ledger, 2025, date(2025, 12, 31))[
        "lines"
    ]
    assert D(lines["provisions"]) + D(lines["works_fund"]) == D("1800.00")
    # 450 × 600 / 12 600 = 21.43 per quarter.
    assert D(lines["works_fund"]) == D("85.72")


@pytest.mark.parametrize(
    ("kind", "period", "message"),
    [
        (AttestationKind.PAYMENT, Period(end=date(2026, 2, 2)), "after today"),
        (
            AttestationKind.STATEMENT,
            Period(start=date(2025, 5, 1), end=date(2025, 4, 1)),
            "start before it ends",
        ),
        (AttestationKind.STATEMENT, Period(end=date(2025, 4, 1)), "start of the"),
    ],
)
def test_periods_it_cannot_cover_are_refused(ledger, kind, period, message):
    with pytest.raises(ValidationError) as refused:
        issue(ledger, kind, period)
    assert message in refused.value.messages[0]
    assert not Attestation.objects.exists()


# ---------------------------------------------------------------------- PDF


def test_the_pdf_carries_the_code_the_figures_and_a_qr_code(ledger, settings):
    settings.SITE_URL = "https://copro.example"
    issued = issue(
        ledger,
        AttestationKind.YEARLY,
        Period(start=date(2025, 1, 1), end=date(2025, 12, 31)),
    )
    text = pdf_text(issued.pdf)
    assert issued.attestation.code in text
    for figure in ("1,714.28 €", "85.72 €", "300.00 €", "2,100.00 €", "12.34 €"):
        assert figure in text
    assert "Camille Durand" in text and "Les Tilleuls" in text
    assert "12.34 € in credit" in text
    assert "https://copro.example/attestations/verify/" in text
    assert issued.attestation.sha256 == hashlib.sha256(issued.pdf).hexdigest()


def test_the_payment_attestation_pdf_says_up_to_date(ledger):
    issued = issue(ledger, AttestationKind.PAYMENT, Period(end=date(2025, 4, 30)))
    text = " ".join(pdf_text(issued.pdf).split())
    assert "is up to date with the payment of the charges" in text
    assert "on or before 30/04/2025" in text
    assert "900.00 €" in text and issued.attestation.code in text


def test_the_statement_pdf_lists_every_entry(ledger):
    issued = issue(
        ledger,
        AttestationKind.STATEMENT,
        Period(start=date(2025, 3, 1), end=date(2025, 7, 31)),
    )
    text = pdf_text(issued.pdf)
    assert "50.00 € owed" in text  # opening
    for line in ("Provision 2/4 2025", "Provision 3/4 2025", "500.00 €", "950.00 €"):
        assert line in text
    assert "nothing owed" in text  # closing


def test_a_document_renders_again_byte_for_byte_from_its_frozen_figures(ledger):
    """Later entries change nothing: the PDF is rebuilt from the row alone."""
    issued = issue(
        ledger,
        AttestationKind.STATEMENT,
        Period(start=date(2025, 1, 1), end=date(2025, 12, 31)),
    )
    pay(ledger, "-99.00", date(2025, 6, 1))
    with translation.override("fr"):  # the reader's language does not matter
        again = attestation_pdf.render(
            Attestation.objects.get(pk=issued.attestation.pk)
        )
    assert again == issued.pdf
    assert "99.00" not in pdf_text(again)


def test_a_document_is_printed_in_the_language_it_was_issued_in(ledger):
    with translation.override("fr"):
        issued = attestations.attestation_issue(
            kind=AttestationKind.PAYMENT,
            account=ledger,
            period=Period(end=date(2025, 4, 30)),
            by=None,
            today=TODAY,
        )
    text = pdf_text(issued.pdf)
    assert issued.attestation.figures["language"] == "fr"
    assert "900,00 €" in text


# -------------------------------------------------------------------- codes


def test_codes_are_long_random_and_readable():
    codes = {attestations.new_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert re.fullmatch(r"([2-9A-HJKMNP-Z]{4}-){4}[2-9A-HJKMNP-Z]{4}", code)
    # 20 symbols from 31: at least 80 bits.
    assert len(attestations.ALPHABET) ** 20 >= 2**80
    assert not set("01OIL") & set(attestations.ALPHABET)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("abcd-ef23-gh45-jk67-mn89", "ABCD-EF23-GH45-JK67-MN89"),
        (" ABCD EF23 GH45 JK67 MN89 ", "ABCD-EF23-GH45-JK67-MN89"),
        ("abcdef23gh45jk67mn89", "ABCD-EF23-GH45-JK67-MN89"),
        ("ABCD-EF23-GH45-JK67", None),  # too short
        ("ABCD-EF23-GH45-JK67-MN8O", None),  # an O is never in a code
        ("", None),
    ],
)
def test_the_code_is_read_whatever_the_case_spaces_and_dashes(typed, expected):
    assert attestations.normalize_code(typed) == expected


# ------------------------------------------------------------- verification


def test_a_genuine_code_is_confirmed_with_its_kind_and_date(ledger):
    issued = issue(ledger, AttestationKind.PAYMENT, Period(end=date(2025, 4, 30)))
    code = issued.attestation.code
    typed = code.lower().replace("-", " ")
    verdict = attestations.attestation_verify(typed, "203.0.113.5")
    assert verdict.state == "genuine"
    assert verdict.kind == AttestationKind.PAYMENT
    assert verdict.issued_at == issued.attestation.issued_at


def test_an_unknown_or_tampered_code_is_not_confirmed(ledger):
    issued = issue(ledger, AttestationKind.PAYMENT, Period(end=date(2025, 4, 30)))
    code = issued.attestation.code
    other = "2" if code[-1] != "2" else "3"
    tampered = code[:-1] + other
    assert attestations.attestation_verify(tampered, "203.0.113.5").state == "unknown"
    assert attestations.attestation_verify("nonsense", "203.0.113.5").state == (
        "malformed"
    )


def test_the_file_itself_is_checked_against_the_hash_of_the_pdf_issued(ledger):
    issued = issue(ledger, AttestationKind.PAYMENT, Period(end=date(2025, 4, 30)))
    code = issued.attestation.code
    same = hashlib.sha256(issued.pdf).hexdigest()
    edited = hashlib.sha256(issued.pdf + b"%edited\n").hexdigest()
    assert attestations.attestation_verify(code, None, same).file_matches is True
    assert attestations.attestation_verify(code, None, edited).file_matches is False
    assert attestations.attestation_verify(code, None).file_matches is None


def test_lookups_are_limited_per_address():
    for _ in range(attestations.VERIFY_LIMIT):
        assert attestations.attestation_verify("x", "198.51.100.7").state != "limited"
    assert attestations.attestation_verify("x", "198.51.100.7").state == "limited"
    assert attestations.attestation_verify("x", "198.51.100.8").state == "malformed"


def test_an_ipv6_client_is_limited_per_64_block():
    for n in range(attestations.VERIFY_LIMIT):
        attestations.attestation_verify("x", f"2001:db8:1:2::{n + 1:x}")
    assert attestations.attestation_verify("x", "2001:db8:1:2::ffff").state == (
        "limited"
    )
    assert attestations.attestation_verify("x", "2001:db8:1:3::1").state == (
        "malformed"
    )
