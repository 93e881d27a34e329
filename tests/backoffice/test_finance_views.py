"""The back office's finance screens: who sees what, the figures shown, the CSV
exports and their query counts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from finance import services
from finance.backoffice import ARREARS_PER_PAGE, csv_cell
from finance.models import Entry, EntryKind
from residents.models import Role, SyndicEmployee

from ..conftest import MATRIX_ARGS, login, matrix_cells
from ..factories import make_member, make_residence, make_user

pytestmark = pytest.mark.django_db

D = Decimal


def _post(account, kind, amount, *, days_ago=0, due_days_ago=None):
    today = timezone.localdate()
    return services.entry_post(
        account=account,
        kind=kind,
        amount=D(amount),
        label=f"{kind} {amount}",
        on=today - timedelta(days=max(days_ago, 0)),
        due_on=None if due_days_ago is None else today - timedelta(days=due_days_ago),
    )


def _owing(residence, amount, due_days_ago, **user_fields):
    account = services.account_for(residence, make_user(**user_fields).pk)
    _post(account, EntryKind.CALL, amount, due_days_ago=due_days_ago)
    return account


@pytest.fixture
def ledger(world):
    """Home: one co-owner 95 days late, one 10 days late (paid in part), one in
    credit. Other residence: one co-owner in arrears."""
    late = _owing(world.home, "300.00", 95, last_name="Lambert")
    recent = _owing(world.home, "200.00", 10, last_name="Roux")
    _post(recent, EntryKind.PAYMENT, "-50.00", days_ago=2)
    credit = services.account_for(world.home, make_user(last_name="Crédit").pk)
    _post(credit, EntryKind.PAYMENT, "-80.00", days_ago=3)
    foreign = _owing(world.other, "999.00", 200, last_name="Étranger")
    return {"late": late, "recent": recent, "credit": credit, "foreign": foreign}


OVERVIEW = [302, 302, 302, 302, 302, 302, 200, 200, 200]
RESIDENCE = [302, 302, 302, 302, 302, 302, 200, 200, 404]
# Read only: staff get 405 before anything is looked up.
OVERVIEW_POST = [302, 302, 302, 302, 302, 302, 405, 405, 405]
RESIDENCE_POST = [302, 302, 302, 302, 302, 302, 405, 405, 405]

VIEWS = [
    ("backoffice:finance_overview", "get", lambda w: [], OVERVIEW),
    ("backoffice:finance_overview", "post", lambda w: [], OVERVIEW_POST),
    ("backoffice:finance_csv", "get", lambda w: [], OVERVIEW),
    ("backoffice:finance_residence", "get", lambda w: [w.home.pk], RESIDENCE),
    ("backoffice:finance_residence", "post", lambda w: [w.home.pk], RESIDENCE_POST),
    ("backoffice:finance_residence_csv", "get", lambda w: [w.home.pk], RESIDENCE),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, ledger, as_persona, name, method, args, persona, expected):
    before = Entry.objects.count()
    response = getattr(as_persona(persona), method)(reverse(name, args=args(world)))
    assert response.status_code == expected
    assert Entry.objects.count() == before
    if expected != 200:
        return
    body = response.content.decode()
    if persona == "other_staff":
        # Their own syndic's residence only: nothing of the home residence.
        assert world.other.name in body
        assert world.home.name not in body and "Lambert" not in body
    else:
        # The residence's CSV lists co-owners only; the other pages name it.
        shown = "Lambert" if name.endswith("residence_csv") else world.home.name
        assert shown in body
        assert world.other.name not in body and "Étranger" not in body
    if name.endswith("csv"):
        assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_non_staff_are_sent_to_sign_in(world, as_persona):
    url = reverse("backoffice:finance_overview")
    response = as_persona("owner").get(url)
    assert response.status_code == 302
    assert reverse("backoffice:login") in response.url


def _lose_finance(user):
    SyndicEmployee.objects.filter(user=user).update(is_active=False)


@pytest.mark.parametrize("how", ["employment ended", "council member only"])
def test_staff_without_manage_finance_get_nothing(world, ledger, client, how):
    user = world.user("staff")
    _lose_finance(user)
    if how == "council member only":
        # Staff (of nobody now) and a council member here: the council does not
        # see the accounts.
        make_member(world.home, Role.COUNCIL_MEMBER, user=user)
    login(client, user)
    for name in ("backoffice:finance_overview", "backoffice:finance_csv"):
        assert client.get(reverse(name)).status_code == 403
    for name in ("backoffice:finance_residence", "backoffice:finance_residence_csv"):
        assert client.get(reverse(name, args=[world.home.pk])).status_code == 404


def test_overview_shows_each_residence_of_the_syndic(world, ledger, client, english):
    sister = make_residence(syndic=world.home.syndic, name="Aa Sister", lots=1)
    _owing(sister, "10.00", 40, last_name="Sœur")
    login(client, world.user("manager"))
    response = client.get(reverse("backoffice:finance_overview"))
    rollup = response.context["rollup"]
    assert [r.residence_name for r in rollup.rows] == ["Aa Sister", "Les Tilleuls"]
    home = rollup.rows[1]
    assert (home.called, home.paid, home.outstanding, home.in_credit) == (
        D("500.00"),
        D("130.00"),
        D("450.00"),
        D("80.00"),
    )
    assert (home.days_0_30, home.days_31_90, home.over_90) == (
        D("150.00"),
        D("0.00"),
        D("300.00"),
    )
    assert rollup.total.outstanding == D("460.00")
    assert rollup.total.days_31_90 == D("10.00")
    body = response.content.decode()
    assert reverse("backoffice:finance_residence", args=[sister.pk]) in body
    assert reverse("backoffice:finance_residence", args=[world.home.pk]) in body
    assert "460.00" in body and "Total" in body
    assert "Subtotal" not in body  # one syndic: the total says it all
    assert world.other.name not in body


def test_platform_admin_sees_every_syndic_with_subtotals(
    world, ledger, client, admin_user
):
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    login(client, admin_user)
    response = client.get(reverse("backoffice:finance_overview"))
    rollup = response.context["rollup"]
    assert {g.syndic_id for g in rollup.groups} == {
        world.home.syndic_id,
        world.other.syndic_id,
    }
    assert rollup.total.over_90 == D("1299.00")
    assert "Subtotal" in response.content.decode()


def test_residence_page_lists_the_co_owners_in_arrears(world, ledger, client, english):
    login(client, world.user("staff"))
    response = client.get(reverse("backoffice:finance_residence", args=[world.home.pk]))
    assert response.status_code == 200
    figures = response.context["figures"]
    assert (figures.called, figures.paid, figures.outstanding, figures.due) == (
        D("500.00"),
        D("130.00"),
        D("450.00"),
        D("450.00"),
    )
    rows = list(response.context["page"].object_list)
    assert [r.account_id for r in rows] == [ledger["late"].pk, ledger["recent"].pk]
    assert rows[1].days_0_30 == D("150.00")
    body = response.content.decode()
    assert "2 co-owners in arrears" in body
    assert "Crédit" not in body  # in credit is not in arrears
    entries = reverse("backoffice:finance_entry_changelist")
    assert f'{entries}?account__id__exact={ledger["late"].pk}"' in body


def test_the_link_opens_that_accounts_entries(world, ledger, client):
    login(client, world.user("staff"))
    url = reverse("backoffice:finance_entry_changelist")
    response = client.get(f"{url}?account__id__exact={ledger['recent'].pk}")
    assert response.status_code == 200
    shown = {entry.account_id for entry in response.context["cl"].result_list}
    assert shown == {ledger["recent"].pk}


def test_arrears_are_paginated_most_overdue_first(world, client, english):
    for n in range(ARREARS_PER_PAGE + 2):
        _owing(world.home, f"{n + 1}.00", 100, last_name=f"Owner{n:02d}")
    login(client, world.user("staff"))
    url = reverse("backoffice:finance_residence", args=[world.home.pk])
    first = client.get(url).context["page"]
    assert first.paginator.count == ARREARS_PER_PAGE + 2
    assert first.object_list[0].over_90 == D(f"{ARREARS_PER_PAGE + 2}.00")
    second = client.get(url, {"page": 2})
    page = second.context["page"]
    assert [r.over_90 for r in page.object_list] == [D("2.00"), D("1.00")]
    assert "Page 2 of 2" in second.content.decode()


def _csv(response) -> list[list[str]]:
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")  # the BOM: spreadsheets read UTF-8
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


def test_residence_csv(world, ledger, client, english):
    hostile = _owing(
        world.home,
        "12.50",
        120,
        first_name='=HYPERLINK("http://x")',
        last_name="@SUM(A1)",
        email="+33@example.org",
    )
    login(client, world.user("staff"))
    response = client.get(
        reverse("backoffice:finance_residence_csv", args=[world.home.pk])
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert world.home.slug in response["Content-Disposition"]
    header, *rows = _csv(response)
    assert header == [
        "Last name",
        "First name",
        "Email",
        "Not yet due",
        "Due 0–30 days",
        "Due 31–90 days",
        "Due over 90 days",
        "Total due",
        "Balance",
    ]
    late = ledger["late"].owner
    assert rows == [
        [
            "Lambert",
            late.first_name,
            late.email,
            "0,00",
            "0,00",
            "0,00",
            "300,00",
            "300,00",
            "300,00",
        ],
        [
            "'@SUM(A1)",
            '\'=HYPERLINK("http://x")',
            "'+33@example.org",
            "0,00",
            "0,00",
            "0,00",
            "12,50",
            "12,50",
            "12,50",
        ],
        [
            "Roux",
            ledger["recent"].owner.first_name,
            ledger["recent"].owner.email,
            "0,00",
            "150,00",
            "0,00",
            "0,00",
            "150,00",
            "150,00",
        ],
    ]
    assert hostile.pk  # the hostile co-owner is listed, defused


def test_overview_csv(world, ledger, client, english):
    world.other.name = "-1+1 Résidence"
    world.other.save(update_fields=["name"])
    login(client, world.user("other_staff"))
    response = client.get(reverse("backoffice:finance_csv"))
    header, *rows = _csv(response)
    assert header[:5] == [
        "Syndic",
        "Residence",
        "Called",
        "Paid (net of refunds)",
        "Other credits",
    ]
    assert rows == [
        [
            world.other.syndic.name,
            "'-1+1 Résidence",
            "999,00",
            "0,00",
            "0,00",
            "999,00",
            "0,00",
            "0,00",
            "0,00",
            "999,00",
            "0,00",
            "1",
        ],
        [
            "Total",
            "",
            "999,00",
            "0,00",
            "0,00",
            "999,00",
            "0,00",
            "0,00",
            "0,00",
            "999,00",
            "0,00",
            "1",
        ],
    ]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("Dupont", "Dupont"),
        ("a=b", "a=b"),
        (D("-12.50"), "-12,50"),  # our own amounts stay numbers
        (D("1234.00"), "1234,00"),
        (3, "3"),
        (None, ""),
    ],
)
def test_csv_cells_cannot_be_formulas(value, cell):
    assert csv_cell(value) == cell


def _grow(world, accounts: int):
    """`accounts` more co-owners in arrears, each with several entries, in two
    residences of the home syndic."""
    sister = make_residence(syndic=world.home.syndic, lots=1)
    for n in range(accounts):
        for residence in (world.home, sister):
            account = _owing(residence, "100.00", 5 + 40 * (n % 4))
            _post(account, EntryKind.CALL, "50.00", due_days_ago=-10)
            _post(account, EntryKind.PAYMENT, "-30.00", days_ago=1)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("backoffice:finance_overview", lambda w: []),
        ("backoffice:finance_csv", lambda w: []),
        ("backoffice:finance_residence", lambda w: [w.home.pk]),
        ("backoffice:finance_residence_csv", lambda w: [w.home.pk]),
    ],
)
def test_query_count_is_constant(
    world, client, django_assert_max_num_queries, name, args
):
    login(client, world.user("staff"))
    url = reverse(name, args=args(world))
    _grow(world, 1)
    client.get(url)  # warm the session
    # session, user, MFA authenticators, the scoped residence ids, (the
    # residence), the figures, (the page of arrears or the CSV rows); the HTML
    # pages add the admin's sidebar (each_context: one query per permission the
    # registered admins ask about, whatever the data).
    with django_assert_max_num_queries(16) as small:
        assert client.get(url).status_code == 200
    _grow(world, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    if name == "backoffice:finance_residence":
        assert len(response.context["page"].object_list) == ARREARS_PER_PAGE
