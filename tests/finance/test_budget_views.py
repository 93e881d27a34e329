"""The syndic's budgets: entering one, issuing its calls, each call's split."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse

from finance import services
from finance.models import Budget, CallShare, Entry, FundCall
from notifications.models import Notification
from residents.models import Lot, LotShare, Role

from ..conftest import MATRIX_ARGS, login, matrix_cells
from ..factories import add_key, make_member, make_residence, make_user

pytestmark = pytest.mark.django_db

D = Decimal


def english(client, user):
    """Sign in a user who reads English (the messages checked below are English)."""
    user.language = "en"
    user.save(update_fields=["language"])
    return login(client, user)


def _budget(world, year, general=None, works=None, **kw):
    general = D("12000") if general is None else general
    works = D("600") if works is None else works
    key = world.home.allocation_keys.get(is_general=True)
    return services.budget_save(
        residence=world.home,
        year=year,
        lines={key.pk: general},
        works_fund=works,
        by=world.user("manager"),
        **kw,
    )


@pytest.fixture
def budgets(world):
    """2026 is issued (its calls exist), 2027 is still a draft."""
    issued = _budget(world, 2026)
    calls = services.budget_calls_issue(budget=issued, by=world.user("manager"))
    draft = _budget(world, 2027)
    return issued, draft, calls


def _form(world, year=2028, general="15000.00", works="750.00", **extra):
    key = world.home.allocation_keys.get(is_general=True)
    return {
        "year": year,
        f"key_{key.pk}": general,
        "works_fund": works,
        "instalments": "4",
        "voted_on": "2027-06-12",
        **extra,
    }


MANAGE = [302, 404, 403, 403, 403, 403, 200, 200, 404]
MANAGE_POST = [302, 404, 403, 403, 403, 403, 302, 302, 404]
READ_ONLY_POST = [302, 404, 403, 403, 403, 403, 405, 405, 404]
# The co-owner's own notice; the syndic asks for the owner's account; council
# members asking for another co-owner's notice get a 404.
NOTICE = [302, 404, 403, 200, 404, 404, 200, 200, 404]

VIEWS = [
    ("finance:budgets", "get", lambda w, b, c: [w.home.slug], MANAGE),
    ("finance:budgets", "post", lambda w, b, c: [w.home.slug], READ_ONLY_POST),
    ("finance:budget_new", "get", lambda w, b, c: [w.home.slug], MANAGE),
    ("finance:budget_new", "post", lambda w, b, c: [w.home.slug], MANAGE_POST),
    ("finance:budget_edit", "get", lambda w, b, c: [w.home.slug, 2027], MANAGE),
    ("finance:budget_edit", "post", lambda w, b, c: [w.home.slug, 2027], MANAGE_POST),
    ("finance:budget_edit", "get", lambda w, b, c: [w.home.slug, 2026], MANAGE),
    ("finance:budget_edit", "post", lambda w, b, c: [w.home.slug, 2026], MANAGE_POST),
    ("finance:budget_issue", "get", lambda w, b, c: [w.home.slug, 2027], MANAGE),
    ("finance:budget_issue", "post", lambda w, b, c: [w.home.slug, 2027], MANAGE_POST),
    ("finance:call_detail", "get", lambda w, b, c: [w.home.slug, c[0].pk], MANAGE),
    (
        "finance:call_detail",
        "post",
        lambda w, b, c: [w.home.slug, c[0].pk],
        READ_ONLY_POST,
    ),
    ("finance:call_notice", "get", lambda w, b, c: [w.home.slug, c[0].pk], NOTICE),
    (
        "finance:call_notice",
        "post",
        lambda w, b, c: [w.home.slug, c[0].pk],
        # POST is never allowed: 405 once the residence is resolved.
        [302, 404, 405, 405, 405, 405, 405, 405, 404],
    ),
]


def _snapshot():
    return (
        list(Budget.objects.order_by("pk").values_list("year", "works_fund")),
        FundCall.objects.count(),
        Entry.objects.count(),
        CallShare.objects.count(),
    )


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, budgets, as_persona, name, method, args, persona, expected):
    issued, draft, calls = budgets
    owner_account = services.account_for(world.home, world.user("owner").pk)
    before = _snapshot()
    data = _form(world, works="999.00")
    if name == "finance:call_notice":
        data = {"account": owner_account.pk}
    client = as_persona(persona)
    url = reverse(name, args=args(world, budgets, calls))
    response = getattr(client, method)(url, data)
    assert response.status_code == expected
    if method == "post" and expected != 302:
        assert _snapshot() == before
    if name == "finance:call_notice" and expected == 200:
        assert response["Content-Type"] == "application/pdf"


def test_the_list_shows_each_budget_with_its_totals(world, budgets, client):
    english(client, world.user("staff"))
    response = client.get(reverse("finance:budgets", args=[world.home.slug]))
    rows = {b.year: b for b in response.context["budgets"]}
    assert set(rows) == {2026, 2027}
    assert rows[2026].total == D("12600.00") and rows[2026].issued
    assert rows[2027].lines_total == D("12000.00") and not rows[2027].issued
    assert "12600.00" in response.content.decode()


def test_entering_a_budget_then_editing_it(world, client):
    english(client, world.user("manager"))
    general = world.home.allocation_keys.get(is_general=True)
    lift = add_key(world.home, "ascenseur", "Ascenseur")
    for lot in world.home.lots.all()[:2]:
        LotShare.objects.create(lot=lot, key=lift, units=10)
    response = client.post(
        reverse("finance:budget_new", args=[world.home.slug]),
        {
            "year": 2028,
            f"key_{general.pk}": "10000.00",
            f"key_{lift.pk}": "2000.50",
            "works_fund": "700",
            "instalments": "4",
            "voted_on": "2027-06-12",
        },
        follow=True,
    )
    budget = Budget.objects.get(year=2028)
    assert response.redirect_chain[-1][0] == reverse(
        "finance:budget_edit", args=[world.home.slug, 2028]
    )
    assert {line.key_id: line.amount for line in budget.lines.all()} == {
        general.pk: D("10000.00"),
        lift.pk: D("2000.50"),
    }
    assert (budget.works_fund, budget.instalments, str(budget.voted_on)) == (
        D("700.00"),
        4,
        "2027-06-12",
    )
    # The edit form shows the amounts and the legal minimum of the fund.
    form = response.context["form"]
    assert form[f"key_{lift.pk}"].value() == D("2000.50")
    assert response.context["minimum"] == D("600.03")  # 5 % of 12 000.50
    # Editing: the year stays, the amounts change; a blank key is zero.
    response = client.post(
        reverse("finance:budget_edit", args=[world.home.slug, 2028]),
        {
            "year": 1999,  # disabled: ignored
            f"key_{general.pk}": "11000",
            f"key_{lift.pk}": "",
            "works_fund": "550",
            "instalments": "12",
        },
    )
    assert response.status_code == 302
    budget.refresh_from_db()
    assert budget.year == 2028 and budget.instalments == 12
    assert [(line.key_id, line.amount) for line in budget.lines.all()] == [
        (general.pk, D("11000.00"))
    ]


def test_a_low_works_fund_is_saved_with_a_warning(world, client):
    english(client, world.user("manager"))
    response = client.post(
        reverse("finance:budget_new", args=[world.home.slug]),
        _form(world, general="10000", works="100"),
        follow=True,
    )
    assert Budget.objects.get(year=2028).works_fund == D("100.00")
    texts = [str(m) for m in response.context["messages"]]
    assert any("below the legal minimum" in t and "500.00" in t for t in texts)


@pytest.mark.parametrize(
    "field,value",
    [
        ("general", "-10"),
        ("general", "100.555"),
        ("general", "beaucoup"),
        ("works", "-1"),
        ("works", "1.001"),
        ("works", ""),
        ("year", "deux mille"),
    ],
)
def test_bad_input_re_renders_and_saves_nothing(world, client, field, value):
    english(client, world.user("manager"))
    values = {"general": "15000.00", "works": "750.00", "year": "2028"}
    values[field] = value
    data = _form(world, year=values["year"], general=values["general"])
    data["works_fund"] = values["works"]
    response = client.post(reverse("finance:budget_new", args=[world.home.slug]), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert value in response.content.decode()  # the typed value is kept
    assert not Budget.objects.exists()


def test_a_second_budget_for_the_same_year_is_refused(world, budgets, client):
    english(client, world.user("manager"))
    response = client.post(
        reverse("finance:budget_new", args=[world.home.slug]), _form(world, year=2027)
    )
    assert response.status_code == 200
    assert "already a budget" in response.content.decode()
    assert Budget.objects.get(year=2027).lines.get().amount == D("12000.00")


def test_an_issued_budget_is_read_only(world, budgets, client):
    english(client, world.user("manager"))
    url = reverse("finance:budget_edit", args=[world.home.slug, 2026])
    response = client.get(url)
    assert "form" not in response.context
    assert [c.pk for c in response.context["calls"]] == [c.pk for c in budgets[2]]
    assert response.context["calls_total"] == D("12600.00")
    response = client.post(url, _form(world, general="1"), follow=True)
    assert "can no longer change" in response.content.decode()
    assert Budget.objects.get(year=2026).lines.get().amount == D("12000.00")


def test_issuing_twice_issues_and_notifies_once(
    world, budgets, client, django_capture_on_commit_callbacks
):
    english(client, world.user("manager"))
    url = reverse("finance:budget_issue", args=[world.home.slug, 2027])
    assert "Issue the calls" in client.get(url).content.decode()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url)
        assert response.status_code == 302
    calls = FundCall.objects.filter(budget__year=2027)
    assert calls.count() == 4
    assert [str(c.due_on) for c in calls.order_by("period")] == [
        "2027-01-01",
        "2027-04-01",
        "2027-07-01",
        "2027-10-01",
    ]
    # Owner (lots 1-2), council (3) and president (4): one notification each.
    notes = Notification.objects.filter(category="charges")
    assert sorted(n.recipient_id for n in notes) == sorted(
        world.user(p).pk for p in ("owner", "council", "president")
    )
    mine = notes.get(recipient=world.user("owner"))
    first = calls.get(period=1)
    assert mine.url == reverse("finance:call_notice", args=[world.home.slug, first.pk])
    entry = Entry.objects.get(call=first, account__owner=world.user("owner"))
    assert f"{entry.amount:.2f}" in mine.body and "01/01/2027" in mine.title
    assert not Notification.objects.filter(recipient=world.user("tenant")).exists()


def test_an_empty_budget_cannot_be_issued(world, client):
    _budget(world, 2028, general=D("0"), works=D("0"))
    english(client, world.user("manager"))
    response = client.post(
        reverse("finance:budget_issue", args=[world.home.slug, 2028]), follow=True
    )
    assert "The budget is empty." in response.content.decode()
    assert not FundCall.objects.exists()


def test_another_residences_budget_and_call_are_not_found(world, client):
    other = world.other
    key = other.allocation_keys.get(is_general=True)
    budget = services.budget_save(
        residence=other,
        year=2027,
        lines={key.pk: D("100")},
        works_fund=D("0"),
        by=world.user("other_staff"),
    )
    call = services.budget_calls_issue(budget=budget, by=world.user("other_staff"))[0]
    login(client, world.user("manager"))
    slug = world.home.slug
    assert (
        client.get(reverse("finance:budget_edit", args=[slug, 2027])).status_code == 404
    )
    assert (
        client.get(reverse("finance:call_detail", args=[slug, call.pk])).status_code
        == 404
    )
    notice = reverse("finance:call_notice", args=[slug, call.pk])
    assert client.get(notice, {"account": "1"}).status_code == 404


def _residence_with(lots: int):
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
    return residence, services.budget_calls_issue(budget=budget, by=manager)


@pytest.mark.parametrize("lots", [4, 40])
def test_the_call_page_checks_the_sum_in_constant_queries(
    world, client, django_assert_max_num_queries, lots
):
    residence, calls = _residence_with(lots)
    from residents.models import SyndicRole

    from ..factories import make_employee

    manager = make_employee(residence.syndic, SyndicRole.MANAGER)
    english(client, manager)
    url = reverse("finance:call_detail", args=[residence.slug, calls[0].pk])
    client.get(url)  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["balanced"]
    shares = CallShare.objects.filter(call=calls[0]).aggregate(t=Sum("amount"))["t"]
    assert response.context["shares_total"] == shares == calls[0].total
    assert len(response.context["lots"]) == lots
    assert len(response.context["entries"]) == lots
    assert "Sum of the shares = total" in response.content.decode()


def test_the_budget_list_keeps_its_query_count(
    world, client, django_assert_max_num_queries
):
    english(client, world.user("manager"))
    url = reverse("finance:budgets", args=[world.home.slug])
    _budget(world, 2000)
    client.get(url)
    with django_assert_max_num_queries(10) as one:
        client.get(url)
    for year in range(2001, 2025):
        _budget(world, year)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert len(response.context["budgets"]) == 25
