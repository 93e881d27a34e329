"""The documents page (issue at once, download again), the account page's statement
button and the public check: who may do what, what each page says, constant
queries."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from finance import attestations, services
from finance.attestations import Period
from finance.models import Attestation, AttestationKind, EntryKind

from ..conftest import MATRIX_ARGS, login, matrix_cells

pytestmark = pytest.mark.django_db

D = Decimal


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def english(client, user):
    user.language = "en"
    user.save(update_fields=["language"])
    return login(client, user)


def issue_budget(world, year):
    key = world.home.allocation_keys.get(is_general=True)
    budget = services.budget_save(
        residence=world.home,
        year=year,
        lines={key.pk: D("12000")},
        works_fund=D("600"),
        by=world.user("manager"),
    )
    return services.budget_calls_issue(budget=budget, by=world.user("manager"))


def pay_year(account, year):
    for quarter in range(4):
        services.entry_post(
            account=account,
            kind=EntryKind.PAYMENT,
            amount=D("-450.00"),
            label="Virement",
            on=date(year, 1 + 3 * quarter, 5),
        )


@pytest.fixture
def last_year(world):
    """Last year's four calls, every one paid on the 5th of its quarter."""
    year = timezone.localdate().year - 1
    issue_budget(world, year)
    account = services.account_for(world.home, world.user("owner").pk)
    pay_year(account, year)
    return account


def url(world, *args, name="finance:attestations"):
    return reverse(name, args=[world.home.slug, *args])


def _statement(year):
    return {
        "kind": "statement",
        "statement-start": f"{year}-01-01",
        "statement-end": f"{year}-12-31",
    }


# ------------------------------------------------------------- role matrix

# anonymous outsider tenant owner council president staff manager other_staff
PAGE = [302, 404, 403, 200, 200, 200, 200, 200, 404]
# Co-owners get their own account's PDF; the syndic the owner's (?account=).
ISSUE = [302, 404, 403, 200, 200, 200, 200, 200, 404]
# The owner's document: council members are co-owners, but not of this account.
DOWNLOAD = [302, 404, 403, 200, 404, 404, 200, 200, 404]
GET_ONLY = [302, 404, 405, 405, 405, 405, 405, 405, 404]
PUBLIC = [200] * 9


def _owner_query(w, doc):
    return f"?account={doc.account_id}"


VIEWS = [
    ("finance:attestations", "get", lambda w, d: ([w.home.slug], ""), PAGE),
    (
        "finance:attestations",
        "post",
        lambda w, d: ([w.home.slug], _owner_query(w, d)),
        ISSUE,
    ),
    (
        "finance:attestation_pdf",
        "get",
        lambda w, d: ([w.home.slug, d.pk], ""),
        DOWNLOAD,
    ),
    (
        "finance:attestation_pdf",
        "post",
        lambda w, d: ([w.home.slug, d.pk], ""),
        GET_ONLY,
    ),
    ("finance:attestation_verify", "get", lambda w, d: ([], f"?code={d.code}"), PUBLIC),
    ("finance:attestation_verify", "post", lambda w, d: ([], ""), PUBLIC),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(
    world, last_year, as_persona, name, method, args, persona, expected
):
    year = timezone.localdate().year - 1
    doc = attestations.attestation_issue(
        kind=AttestationKind.STATEMENT,
        account=last_year,
        period=Period(start=date(year, 1, 1), end=date(year, 12, 31)),
        by=world.user("owner"),
    ).attestation
    before = Attestation.objects.count()
    positional, query = args(world, doc)
    client = as_persona(persona)
    target = reverse(name, args=positional) + query
    data = _statement(year) if name == "finance:attestations" else {}
    response = getattr(client, method)(target, data)
    assert response.status_code == expected
    if name == "finance:attestations" and method == "post":
        assert Attestation.objects.count() == before + (expected == 200)
        if expected == 200:
            assert response["Content-Type"] == "application/pdf"
    if name == "finance:attestation_pdf" and expected == 200:
        assert response["Content-Type"] == "application/pdf"


# ----------------------------------------------------------- the documents page


def test_a_co_owner_downloads_a_statement_at_once(world, last_year, client):
    english(client, world.user("owner"))
    year = timezone.localdate().year - 1
    response = client.post(url(world), _statement(year))
    text = pdf_text(response)
    doc = Attestation.objects.get()
    assert doc.account == last_year and doc.kind == AttestationKind.STATEMENT
    assert doc.issued_by == world.user("owner")
    assert doc.code in text and doc.code in response["Content-Disposition"]
    assert "1,800.00 €" in text  # four calls of 450.00 and four payments
    assert D(doc.figures["closing"]) == D("0.00")


def test_the_attestation_of_payment_downloads_then_verifies(world, last_year, client):
    """The issue's "done when": the attestation downloads and verifies."""
    english(client, world.user("owner"))
    as_of = date(timezone.localdate().year - 1, 12, 31)
    response = client.post(
        url(world), {"kind": "payment", "payment-as_of": as_of.isoformat()}
    )
    text = " ".join(pdf_text(response).split())
    doc = Attestation.objects.get()
    assert "is up to date with the payment of the charges" in text
    assert doc.code in text
    public = Client()
    public.cookies["django_language"] = "en"
    check = public.get(reverse("finance:attestation_verify"), {"code": doc.code})
    assert check.status_code == 200
    assert "Genuine document" in check.content.decode()
    assert check.context["verdict"].kind == AttestationKind.PAYMENT
    upload = public.post(
        reverse("finance:attestation_verify"),
        {"code": doc.code, "document": io.BytesIO(response.content)},
    )
    assert "exactly the one issued" in upload.content.decode()


def test_an_account_in_arrears_gets_what_is_outstanding_instead(world, client):
    """The January call of this year is unpaid: the attestation is refused with the
    amount and the call, and nothing is issued."""
    year = timezone.localdate().year
    issue_budget(world, year)
    english(client, world.user("owner"))
    response = client.post(
        url(world),
        {"kind": "payment", "payment-as_of": date(year, 1, 31).isoformat()},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "No attestation of payment can be issued" in page
    assert f"Provision 1/4 {year}" in page and "450.00 €" in page
    assert not Attestation.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "payment", "payment-as_of": "2999-01-01"}, "cannot be after today"),
        ({"kind": "payment", "payment-as_of": "31/31/2020"}, "Enter a valid date"),
        (
            {
                "kind": "statement",
                "statement-start": "2025-05-01",
                "statement-end": "2025-04-01",
            },
            "must end after it starts",
        ),
        ({"kind": "yearly", "yearly-year": "2999"}, "has not begun yet"),
        ({"kind": "yearly", "yearly-year": "1999"}, "greater than or equal to 2000"),
    ],
)
def test_invalid_dates_are_refused_with_a_message(
    world, last_year, client, data, message
):
    english(client, world.user("owner"))
    response = client.post(url(world), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Attestation.objects.exists()


def test_the_yearly_summary_downloads(world, last_year, client):
    english(client, world.user("owner"))
    year = timezone.localdate().year - 1
    text = pdf_text(client.post(url(world), {"kind": "yearly", "yearly-year": year}))
    assert "1,714.28 €" in text and "85.72 €" in text and "1,800.00 €" in text


def test_a_document_downloads_again_identical(world, last_year, client):
    english(client, world.user("owner"))
    year = timezone.localdate().year - 1
    first = client.post(url(world), _statement(year))
    doc = Attestation.objects.get()
    services.entry_post(
        account=last_year,
        kind=EntryKind.FEE,
        amount=D("35.00"),
        label="Frais",
        on=date(year, 6, 1),
    )
    again = client.get(url(world, doc.pk, name="finance:attestation_pdf"))
    assert again.content == first.content
    page = client.get(url(world)).content.decode()
    assert doc.code in page
    assert url(world, doc.pk, name="finance:attestation_pdf") in page


def test_the_syndic_issues_for_a_co_owner_and_sees_their_documents(
    world, last_year, client
):
    english(client, world.user("staff"))
    page = client.get(url(world))
    assert page.context["account"] is None  # a co-owner to choose first
    owner = world.user("owner")
    assert owner.get_full_name() in page.content.decode()
    year = timezone.localdate().year - 1
    response = client.post(url(world) + f"?account={last_year.pk}", _statement(year))
    assert pdf_text(response)
    doc = Attestation.objects.get()
    assert doc.account == last_year and doc.issued_by == world.user("staff")
    page = client.get(url(world), {"account": last_year.pk}).content.decode()
    assert doc.code in page


def test_the_syndic_cannot_reach_another_residences_account(world, client):
    other_owner = world.user("outsider")
    issue_other = services.account_for(world.other, other_owner.pk)
    login(client, world.user("staff"))
    response = client.get(url(world), {"account": issue_other.pk})
    assert response.status_code == 404
    response = client.post(url(world) + f"?account={issue_other.pk}", _statement(2025))
    assert response.status_code == 404
    assert not Attestation.objects.exists()


def test_a_co_owner_cannot_issue_for_someone_else(world, last_year, client):
    """The `account` parameter is the syndic's: a co-owner always gets their own."""
    council = world.user("council")
    own = services.account_for(world.home, council.pk)
    login(client, council)
    year = timezone.localdate().year - 1
    client.post(url(world) + f"?account={last_year.pk}", _statement(year))
    assert Attestation.objects.get().account == own


# ------------------------------------------------------------ the account page


def test_the_account_page_offers_this_years_statement(world, last_year, client):
    english(client, world.user("owner"))
    page = client.get(reverse("finance:account", args=[world.home.slug]))
    html = page.content.decode()
    today = timezone.localdate()
    assert "statement (PDF)" in html and 'name="kind" value="statement"' in html
    assert f'value="{today.year}-01-01"' in html
    assert f'value="{today.isoformat()}"' in html
    assert url(world) in html
    response = client.post(
        url(world),
        {
            "kind": "statement",
            "statement-start": f"{today.year}-01-01",
            "statement-end": today.isoformat(),
        },
    )
    assert response["Content-Type"] == "application/pdf"
    assert Attestation.objects.get().period_end == today


# ---------------------------------------------------------- the public check


def _doc(world, account):
    year = timezone.localdate().year - 1
    return attestations.attestation_issue(
        kind=AttestationKind.YEARLY,
        account=account,
        period=Period(start=date(year, 1, 1), end=date(year, 12, 31)),
        by=account.owner,
    ).attestation


def test_the_public_page_says_genuine_but_nothing_about_the_person(world, last_year):
    doc = _doc(world, last_year)
    client = Client()
    client.cookies["django_language"] = "en"
    typed = doc.code.lower().replace("-", " ")
    response = client.get(reverse("finance:attestation_verify"), {"code": typed})
    page = response.content.decode()
    assert "Genuine document" in page and "Yearly summary" in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    owner = last_year.owner
    for secret in (
        owner.first_name,
        owner.last_name,
        owner.email,
        world.home.name,
        world.home.syndic.name,
        "1,800.00",
        "1800.00",
        "450.00",
        "1,714.28",
    ):
        assert secret not in page


@pytest.mark.parametrize(
    ("change", "heading"),
    [
        (lambda code: code[:-1] + ("2" if code[-1] != "2" else "3"), "No document"),
        (lambda code: code[:-1], "This is not a verification code"),
        (lambda code: "ABCD-EF23-GH45-JK67-MN89", "No document"),
    ],
)
def test_a_tampered_or_unknown_code_is_not_genuine(world, last_year, change, heading):
    doc = _doc(world, last_year)
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.get(
        reverse("finance:attestation_verify"), {"code": change(doc.code)}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert heading in page and "Genuine document" not in page


def test_an_altered_file_is_told_apart(world, last_year):
    doc = _doc(world, last_year)
    from finance import attestation_pdf

    pdf = attestation_pdf.render(doc)
    client = Client()
    client.cookies["django_language"] = "en"
    altered = io.BytesIO(pdf + b"%altered\n")
    altered.name = "attestation.pdf"
    response = client.post(
        reverse("finance:attestation_verify"), {"code": doc.code, "document": altered}
    )
    assert "not the one issued under this code" in response.content.decode()


def test_lookups_are_rate_limited_per_address(world, last_year):
    doc = _doc(world, last_year)
    client = Client(REMOTE_ADDR="198.51.100.23")
    client.cookies["django_language"] = "en"
    verify = reverse("finance:attestation_verify")
    for n in range(attestations.VERIFY_LIMIT):
        assert (
            client.get(
                verify, {"code": f"ABCD-EF23-GH45-JK67-MN{n % 8 + 2}A"}
            ).status_code
            == 200
        )
    response = client.get(verify, {"code": doc.code})
    assert response.status_code == 429
    assert "Too many checks" in response.content.decode()
    assert "Genuine document" not in response.content.decode()
    elsewhere = Client(REMOTE_ADDR="198.51.100.24")
    elsewhere.cookies["django_language"] = "en"
    assert "Genuine" in elsewhere.get(verify, {"code": doc.code}).content.decode()


def test_the_bare_page_checks_nothing(world, last_year):
    response = Client().get(reverse("finance:attestation_verify"))
    assert response.status_code == 200
    assert response.context["verdict"] is None


# ------------------------------------------------------------------ queries


def _ten_years(world, years):
    first = timezone.localdate().year - years
    for year in range(first, first + years):
        issue_budget(world, year)
        account = services.account_for(world.home, world.user("owner").pk)
        pay_year(account, year)
    return account


@pytest.mark.parametrize("years", [1, 10])
def test_the_documents_page_queries_stay_constant(
    world, client, years, django_assert_max_num_queries
):
    account = _ten_years(world, years)
    for _ in range(1 if years == 1 else 25):
        _doc(world, account)
    login(client, world.user("owner"))
    client.get(url(world))
    # session, user, standing, account, attestations count + page, badge, switcher
    with django_assert_max_num_queries(9):
        response = client.get(url(world))
    assert response.status_code == 200


@pytest.mark.parametrize("years", [1, 10])
def test_the_syndics_page_queries_stay_constant(
    world, client, years, django_assert_max_num_queries
):
    account = _ten_years(world, years)
    _doc(world, account)
    login(client, world.user("manager"))
    client.get(url(world), {"account": account.pk})
    # session, user, MFA, standing, account, the accounts to choose from,
    # attestations count + page, badge, switcher
    with django_assert_max_num_queries(11):
        response = client.get(url(world), {"account": account.pk})
    assert response.status_code == 200


@pytest.mark.parametrize("years", [1, 10])
@pytest.mark.parametrize(
    "data",
    [
        {"kind": "payment", "payment-as_of": "LAST_DEC_31"},
        {
            "kind": "statement",
            "statement-start": "FIRST",
            "statement-end": "LAST_DEC_31",
        },
        {"kind": "yearly", "yearly-year": "LAST_YEAR"},
    ],
    ids=["payment", "statement", "yearly"],
)
def test_issuing_queries_stay_constant_over_ten_years(
    world, client, years, data, django_assert_max_num_queries
):
    account = _ten_years(world, years)
    last = timezone.localdate().year - 1
    values = {
        "LAST_DEC_31": f"{last}-12-31",
        "FIRST": f"{last - years + 1}-01-01",
        "LAST_YEAR": str(last),
    }
    data = {k: values.get(v, v) for k, v in data.items()}
    login(client, world.user("owner"))
    client.get(url(world))
    # session, user, standing, account, the lots (2), the figures (≤ 4), the lots'
    # numbers, savepoint, insert, release
    with django_assert_max_num_queries(14):
        response = client.post(url(world), data)
    assert response["Content-Type"] == "application/pdf"
    assert Attestation.objects.get().account == account


@pytest.mark.parametrize("years", [1, 10])
def test_downloading_again_queries_stay_constant(
    world, client, years, django_assert_max_num_queries
):
    account = _ten_years(world, years)
    doc = _doc(world, account)
    login(client, world.user("owner"))
    client.get(url(world))
    # session, user, standing, the attestation
    with django_assert_max_num_queries(4):
        response = client.get(url(world, doc.pk, name="finance:attestation_pdf"))
    assert response["Content-Type"] == "application/pdf"


def test_the_public_check_makes_one_query(world, last_year, django_assert_num_queries):
    doc = _doc(world, last_year)
    client = Client()
    client.get(reverse("finance:attestation_verify"), {"code": doc.code})
    with django_assert_num_queries(1):  # the code
        response = client.get(reverse("finance:attestation_verify"), {"code": doc.code})
    assert response.context["verdict"].state == "genuine"


def test_the_forms_start_on_sensible_dates(world, last_year, client):
    english(client, world.user("owner"))
    forms = client.get(url(world)).context["forms"]
    today = timezone.localdate()
    assert forms["statement"].initial["start"] == date(today.year, 1, 1)
    assert forms["payment"].initial["as_of"] == today
    assert forms["yearly"].initial["year"] == today.year - 1
