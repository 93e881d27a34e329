"""A co-owner's account page: who may open it, what it shows, constant queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from finance import services
from finance.models import EntryKind

from ..conftest import MATRIX_ARGS, login, matrix_cells

pytestmark = pytest.mark.django_db

D = Decimal


GENERAL, WORKS_FUND = D("12000"), D("600")


def issue(world, year=2027, general=GENERAL, works_fund=WORKS_FUND):
    key = world.home.allocation_keys.get(is_general=True)
    budget = services.budget_save(
        residence=world.home,
        year=year,
        lines={key.pk: general},
        works_fund=works_fund,
        by=world.user("manager"),
    )
    return services.budget_calls_issue(budget=budget, by=world.user("manager"))


# anonymous outsider tenant owner council president staff manager other_staff
ACCOUNT = [302, 404, 403, 200, 200, 200, 302, 302, 404]
ACCOUNTS = [302, 404, 403, 403, 403, 403, 200, 200, 404]

VIEWS = [
    ("finance:account", "get", lambda w: [w.home.slug], ACCOUNT),
    ("finance:accounts", "get", lambda w: [w.home.slug], ACCOUNTS),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    issue(world)
    response = as_persona(persona).get(reverse(name, args=args(world)))
    assert response.status_code == expected


def test_the_owner_sees_each_call_with_its_breakdown_and_the_balance(world, client):
    # world: 6 lots with 100 × n general tantièmes (2 100 in all); the owner holds
    # lots 1 and 2 (300 tantièmes), the council members lots 3 and 4.
    issue(world)
    owner = world.user("owner")
    account = services.account_for(world.home, owner.pk)
    services.entry_post(
        account=account, kind=EntryKind.PAYMENT, amount=D("-500.00"), label="Virement"
    )
    owner.language = "en"
    owner.save(update_fields=["language"])
    login(client, owner)
    with timezone.override("Europe/Paris"):
        response = client.get(reverse("finance:account", args=[world.home.slug]))
    figures = response.context["figures"]
    # A year: 12 000 × 300 / 2 100 = 1 714.29 (+ fonds de travaux 600 × 300 / 2 100
    # = 85.71), i.e. 450.00 a quarter for these two lots.
    assert figures["total"] == D("1800.00") - D("500.00")
    calls = list(response.context["calls"])
    assert len(calls) == 4
    shares = calls[0].call.mine
    assert [(s.lot.number, s.works_fund, s.units, s.key_units) for s in shares] == [
        (1, False, 100, 2100),
        (1, True, 100, 2100),
        (2, False, 200, 2100),
        (2, True, 200, 2100),
    ]
    assert sum(s.amount for s in shares) == calls[0].amount
    page = response.content.decode()
    assert "Virement" in page and "450.00" in page


def test_due_now_and_later_follow_the_due_dates(world):
    issue(world, year=timezone.localdate().year)
    account = services.account_for(world.home, world.user("owner").pk)
    from finance.selectors import balance

    figures = balance(account, today=date(timezone.localdate().year, 5, 15))
    assert figures["due_now"] == D("900.00")  # the April and January calls
    assert figures["upcoming"] == D("900.00")
    assert figures["total"] == D("1800.00")


def test_the_dashboard_shows_the_balance_to_owners_only(world, client):
    issue(world, year=timezone.localdate().year + 1)
    login(client, world.user("owner"))
    dashboard = client.get(reverse("residents:dashboard", args=[world.home.slug]))
    charges = dashboard.context["charges"]
    assert charges["due_now"] == D("0.00") and charges["upcoming"] == D("1800.00")
    assert charges["next"]["due_on"] == date(timezone.localdate().year + 1, 1, 1)
    login(client, world.user("tenant"))
    dashboard = client.get(reverse("residents:dashboard", args=[world.home.slug]))
    assert dashboard.context["charges"] is None


@pytest.mark.parametrize("years", [1, 10])
def test_the_account_page_queries_stay_constant_over_ten_years(
    world, client, years, django_assert_max_num_queries
):
    first = timezone.localdate().year - years + 1
    for year in range(first, first + years):
        issue(world, year=year)
        account = services.account_for(world.home, world.user("owner").pk)
        for quarter in range(4):
            services.entry_post(
                account=account,
                kind=EntryKind.PAYMENT,
                amount=D("-450.00"),
                label="Virement",
                on=date(year, 1, 1) + timedelta(days=91 * quarter),
            )
    login(client, world.user("owner"))
    url = reverse("finance:account", args=[world.home.slug])
    client.get(url)
    # session, user, standing, membership + lots + shares, account, balance, calls +
    # their shares, entries count + page, badge, switcher
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.context["figures"]["total"] == D("0.00")
