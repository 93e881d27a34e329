"""The syndic's bank screens: who may open them, what they do, and their query
counts when the data grows."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from finance import banking, payments
from finance.models import (
    Account,
    BankImport,
    BankLine,
    BankLineStatus,
    Entry,
    Payment,
    PaymentMethod,
)

from ..conftest import MATRIX_ARGS, login, matrix_cells
from ..factories import make_member
from .statements import bank_world, sample

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _english(english):
    """These tests read the English wording (see `english`)."""


@pytest.fixture
def bank(world):
    bank = bank_world(world)
    banking.statement_import(
        residence=world.home,
        file=bank.sample("fr_debit_credit_cp1252.csv"),
        by=world.user("manager"),
    )
    return bank


def _owner_line(bank) -> BankLine:
    return BankLine.objects.get(account=bank.accounts["owner"])


def _snapshot():
    return (
        BankImport.objects.count(),
        list(BankLine.objects.order_by("pk").values_list("status", "account_id")),
        Entry.objects.count(),
        Payment.objects.count(),
    )


# anonymous outsider tenant owner council president staff manager other_staff
MANAGE = [302, 404, 403, 403, 403, 403, 200, 200, 404]
MANAGE_POST = [302, 404, 403, 403, 403, 403, 302, 302, 404]
NOT_ALLOWED = [302, 404, 403, 403, 403, 403, 405, 405, 404]


def _slug(bank):
    return [bank.world.home.slug]


def _line_args(bank):
    return [bank.world.home.slug, _owner_line(bank).pk]


VIEWS = [
    ("finance:bank", "get", _slug, MANAGE),
    ("finance:bank", "post", _slug, NOT_ALLOWED),
    ("finance:bank_import", "get", _slug, MANAGE),
    ("finance:bank_import", "post", _slug, MANAGE_POST),
    ("finance:bank_manual", "get", _slug, MANAGE),
    ("finance:bank_manual", "post", _slug, MANAGE_POST),
    ("finance:bank_post_proposed", "get", _slug, NOT_ALLOWED),
    ("finance:bank_post_proposed", "post", _slug, MANAGE_POST),
    ("finance:bank_line_post", "get", _line_args, NOT_ALLOWED),
    ("finance:bank_line_post", "post", _line_args, MANAGE_POST),
    ("finance:bank_line_ignore", "get", _line_args, NOT_ALLOWED),
    ("finance:bank_line_ignore", "post", _line_args, MANAGE_POST),
]


def _data(name, bank) -> dict:
    if name == "finance:bank_import":
        return {"file": SimpleUploadedFile("v2.ofx", sample("statement_v2.ofx"))}
    if name == "finance:bank_manual":
        return _manual_form(bank)
    if name == "finance:bank_line_post":
        return {"account": bank.accounts["owner"].pk}
    return {}


def _manual_form(bank, **overrides) -> dict:
    return {
        "account": bank.accounts["council"].pk,
        "amount": "450.00",
        "method": PaymentMethod.CHEQUE,
        "on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "reference": "1234567",
        "token": str(uuid.uuid4()),
        **overrides,
    }


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(bank, as_persona, name, method, args, persona, expected):
    before = _snapshot()
    client = as_persona(persona)
    response = getattr(client, method)(
        reverse(name, args=args(bank)), _data(name, bank)
    )
    assert response.status_code == expected
    if method == "post" and expected != 302:
        assert _snapshot() == before  # a refused request changes nothing
    if method == "post" and expected == 302 and persona != "anonymous":
        assert _snapshot() != before


def test_importing_a_statement_then_the_same_again(bank, client):
    login(client, bank.world.user("staff"))
    url = reverse("finance:bank_import", args=[bank.world.home.slug])
    data = bank.sample("camt053.xml")
    response = client.post(
        url, {"file": SimpleUploadedFile("releve.xml", data)}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse(
        "finance:bank", args=[bank.world.home.slug]
    )
    text = response.content.decode()
    assert (
        "5 transactions read: 3 new credit lines (3 with a co-owner proposed), 0 "
        "already imported, 2 debits or pending entries skipped." in text
    )
    # The queue: the CSV's 5 lines and the CAMT's 3, oldest first.
    assert len(response.context["lines"]) == 8
    before = _snapshot()
    response = client.post(
        url, {"file": SimpleUploadedFile("again.xml", data)}, follow=True
    )
    assert "This statement was already imported on" in response.content.decode()
    assert _snapshot() == before
    # The latest imports are listed on the import page.
    response = client.get(url)
    assert [i.file_name for i in response.context["imports"]] == [
        "releve.xml",
        "statement",  # the fixture's, imported from bytes
    ]


@pytest.mark.parametrize(
    "name,message",
    [
        ("bad_date.csv", "Line 3: the date “32/13/2027” cannot be read."),
        ("not_a_statement.bin", "This is not a bank statement"),
    ],
)
def test_a_bad_file_is_refused_with_its_reason(bank, client, name, message):
    login(client, bank.world.user("manager"))
    before = _snapshot()
    response = client.post(
        reverse("finance:bank_import", args=[bank.world.home.slug]),
        {"file": SimpleUploadedFile(name, sample(name))},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].errors["file"]
    assert _snapshot() == before


def test_a_file_too_large_or_empty_is_refused(bank, client, settings):
    settings.COPRO_BANK_STATEMENT_MAX_BYTES = 100
    login(client, bank.world.user("manager"))
    url = reverse("finance:bank_import", args=[bank.world.home.slug])
    before = _snapshot()
    big = SimpleUploadedFile("big.csv", sample("fr_debit_credit_cp1252.csv"))
    response = client.post(url, {"file": big})
    assert "The file is too large (100\xa0bytes at most)." in response.content.decode()
    response = client.post(url, {"file": SimpleUploadedFile("empty.csv", b"")})
    assert "The submitted file is empty." in response.content.decode()
    response = client.post(url, {})
    assert response.context["form"].errors["file"]
    assert _snapshot() == before


def test_the_queue_shows_each_line_with_its_proposed_co_owner(bank, client):
    login(client, bank.world.user("staff"))
    url = reverse("finance:bank", args=[bank.world.home.slug])
    response = client.get(url)
    text = response.content.decode()
    lines = response.context["lines"]
    assert [line.status for line in lines] == ["proposed"] * 2 + ["unmatched"] * 3
    owner_line = lines[0]
    account = bank.accounts["owner"]
    assert f'<option value="{account.pk}" selected>Jean Dupont (' in text
    assert f'id="account-{owner_line.pk}"' in text
    assert "Post the 2 proposed lines" in text
    assert response.context["counts"]["todo"] == 5
    # Filters: only the posted lines; an unknown filter shows the queue.
    banking.line_post(line=owner_line, account=account, by=bank.world.user("staff"))
    posted = client.get(url, {"status": "posted"}).context["lines"]
    assert [line.pk for line in posted] == [owner_line.pk]
    assert len(client.get(url, {"status": "nonsense"}).context["lines"]) == 4
    assert len(client.get(url, {"status": "all"}).context["lines"]) == 5


def test_posting_from_the_queue_and_a_double_submit(bank, client):
    login(client, bank.world.user("staff"))
    line = BankLine.objects.get(amount=D("600.00"))  # the cheque, unmatched
    url = reverse("finance:bank_line_post", args=[bank.world.home.slug, line.pk])
    form = {"account": bank.accounts["president"].pk, "status": "unmatched"}
    response = client.post(url, {**form, "page": "1"})
    assert response.url == (
        reverse("finance:bank", args=[bank.world.home.slug]) + "?status=unmatched"
    )
    response = client.post(url, form, follow=True)
    assert "This line was already posted." in response.content.decode()
    assert Entry.objects.filter(source_ref=f"bank:{line.pk}").count() == 1
    assert Payment.objects.count() == 1
    assert payments.balance_owed(bank.accounts["president"]) == D("1800.00")


def test_posting_needs_an_account_of_the_residence(bank, client):
    stranger = make_member(bank.world.other, "owner").user
    foreign = Account.objects.create(residence=bank.world.other, owner=stranger)
    login(client, bank.world.user("manager"))
    line = _owner_line(bank)
    before = _snapshot()
    for account in (foreign.pk, "", "abc"):
        response = client.post(
            reverse("finance:bank_line_post", args=[bank.world.home.slug, line.pk]),
            {"account": account},
            follow=True,
        )
        assert "Choose the co-owner this payment comes from." in (
            response.content.decode()
        )
    assert _snapshot() == before


def test_another_residences_line_is_not_found(bank, client):
    other_line = BankLine.objects.create(
        residence=bank.world.other,
        statement=BankImport.objects.create(
            residence=bank.world.other, file_name="x.csv", format="csv", sha256="x"
        ),
        fingerprint="x",
        booked_on=timezone.localdate(),
        amount=D("10.00"),
    )
    login(client, bank.world.user("manager"))
    for name in ("finance:bank_line_post", "finance:bank_line_ignore"):
        url = reverse(name, args=[bank.world.home.slug, other_line.pk])
        assert (
            client.post(url, {"account": bank.accounts["owner"].pk}).status_code == 404
        )
    other_line.refresh_from_db()
    assert other_line.status == BankLineStatus.UNMATCHED


def test_ignoring_then_posting_every_proposed_line(bank, client):
    login(client, bank.world.user("manager"))
    slug = bank.world.home.slug
    cheque = BankLine.objects.get(amount=D("600.00"))
    response = client.post(
        reverse("finance:bank_line_ignore", args=[slug, cheque.pk]), follow=True
    )
    assert "The line is ignored" in response.content.decode()
    cheque.refresh_from_db()
    assert cheque.status == BankLineStatus.IGNORED
    response = client.post(
        reverse("finance:bank_post_proposed", args=[slug]), follow=True
    )
    assert "2 proposed lines posted." in response.content.decode()
    assert payments.balance_owed(bank.accounts["owner"]) == D("1350.00")
    assert payments.balance_owed(bank.accounts["council"]) == D("1350.00")
    response = client.post(
        reverse("finance:bank_post_proposed", args=[slug]), follow=True
    )
    assert "There was no proposed line to post." in response.content.decode()
    assert Payment.objects.count() == 2


def test_recording_a_cheque_by_hand_and_sending_the_form_twice(bank, client):
    login(client, bank.world.user("staff"))
    url = reverse("finance:bank_manual", args=[bank.world.home.slug])
    response = client.get(url)
    token = response.context["form"]["token"].value()
    assert f'value="{token}"' in response.content.decode()
    form = _manual_form(bank, token=str(token))
    response = client.post(url, form, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "450.00 € recorded on Marie Lefèvre's account."
    ]
    response = client.post(url, form, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "This payment was already recorded."
    ]
    entry = Entry.objects.get(source_ref=f"manual:{token}")
    assert entry.amount == D("-450.00") and entry.label == "Cheque · 1234567"
    assert payments.balance_owed(bank.accounts["council"]) == D("1350.00")
    # The page lists it, with the amount received.
    response = client.get(url)
    assert [e.pk for e in response.context["recent"]] == [entry.pk]
    assert "450.00 €" in response.content.decode()


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("amount", "-3", "Ensure this value is greater than or equal to 0.01."),
        ("amount", "12.345", "Ensure that there are no more than 2 decimal places."),
        ("on", "2999-01-01", "The date cannot be in the future."),
        ("method", "card", "Select a valid choice."),
        ("account", "999999", "Select a valid choice."),
    ],
)
def test_a_bad_manual_payment_re_renders_and_records_nothing(
    bank, client, field, value, message
):
    login(client, bank.world.user("staff"))
    before = _snapshot()
    response = client.post(
        reverse("finance:bank_manual", args=[bank.world.home.slug]),
        _manual_form(bank, **{field: value}),
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _snapshot() == before


def test_the_queue_flags_a_line_that_may_repeat_a_payment_typed_in(bank, client):
    today = timezone.localdate()
    banking.manual_payment_record(
        account=bank.accounts["owner"],
        amount=D("99.99"),
        method=PaymentMethod.TRANSFER,
        on=today,
        reference="",
        by=bank.world.user("staff"),
        token=uuid.uuid4(),
    )
    data = f"Date;Libellé;Montant\n{today:%d/%m/%Y};VIR SEPA;99,99\n".encode()
    banking.statement_import(
        residence=bank.world.home, file=data, by=bank.world.user("staff")
    )
    login(client, bank.world.user("staff"))
    response = client.get(reverse("finance:bank", args=[bank.world.home.slug]))
    flagged = {line.pk: line.hand for line in response.context["lines"]}
    recent = BankLine.objects.get(booked_on=today)
    assert [e.account for e in flagged[recent.pk]] == [bank.accounts["owner"]]
    # The 99.99 lines of January are far from it: not flagged.
    assert sum(1 for hand in flagged.values() if hand) == 1
    assert "A payment was typed in by hand for Jean Dupont" in response.content.decode()


def _grow(bank, lines: int, accounts: int, imports: int, manual: int):
    """More accounts, payments typed in by hand, statement lines (some of them
    the same amounts as those payments: flagged), imports."""
    home, staff = bank.world.home, bank.world.user("staff")
    today = timezone.localdate()
    for _ in range(accounts):
        Account.objects.create(residence=home, owner=make_member(home, "owner").user)
    for n in range(manual):
        banking.manual_payment_record(
            account=bank.accounts["owner"],
            amount=D(n + 1),
            method=PaymentMethod.TRANSFER,
            on=today,
            reference=f"VIR {n}",
            by=staff,
            token=uuid.uuid4(),
        )
    rows = "\n".join(
        f"{today:%d/%m/%Y};VIR {uuid.uuid4().hex} {bank.reference('owner', 2)};{n},00"
        for n in range(1, lines + 1)
    )
    banking.statement_import(
        residence=home, file=f"Date;Libellé;Montant\n{rows}\n".encode(), by=staff
    )
    for _ in range(imports):
        row = f"{today:%d/%m/%Y};VIR {uuid.uuid4().hex};7,00"
        banking.statement_import(
            residence=home, file=f"Date;Libellé;Montant\n{row}\n".encode(), by=staff
        )


# Every page: the session, the user, their MFA device, the standing (residence and
# role), then the header's residence switcher and notification badge: 6 queries.
PAGE_QUERIES = {
    # + lines to review (count), counts per status, the page of lines (with their
    # accounts and owners), payments typed in near them, the accounts to choose.
    "finance:bank": 6 + 5,
    # + the latest imports (with who imported them).
    "finance:bank_import": 6 + 1,
    # + the latest payments typed in (with co-owner and author), the accounts.
    "finance:bank_manual": 6 + 2,
}


@pytest.mark.parametrize(
    "name,status",
    [
        ("finance:bank", None),
        ("finance:bank", "all"),
        ("finance:bank_import", None),
        ("finance:bank_manual", None),
    ],
)
def test_the_pages_keep_their_query_count(
    bank, client, django_assert_num_queries, name, status
):
    """The same queries with 1 line, account, import and payment typed in as with
    40 lines (a page of 25), 15 more accounts, 12 imports and 12 payments."""
    login(client, bank.world.user("staff"))
    url = reverse(name, args=[bank.world.home.slug])
    query = {"status": status} if status else {}
    _grow(bank, lines=1, accounts=0, imports=1, manual=1)
    client.get(url, query)  # warm the session
    with django_assert_num_queries(PAGE_QUERIES[name]):
        response = client.get(url, query)
    assert response.status_code == 200
    _grow(bank, lines=40, accounts=15, imports=12, manual=12)
    with django_assert_num_queries(PAGE_QUERIES[name]):
        response = client.get(url, query)
    context = response.context
    if name == "finance:bank":
        assert len(context["lines"]) == 25
        assert len(context["accounts"]) == 18
        assert any(line.hand for line in context["lines"])
    elif name == "finance:bank_import":
        assert len(context["imports"]) == 10
    else:
        assert len(context["recent"]) == 10
        assert len(context["form"].fields["account"].choices) == 19  # and "choose"
