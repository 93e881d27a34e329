"""The account page, the dashboard's charges widget and the syndic's accounts page
run as many queries after ten years of calls and payments as after three calls."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from finance.models import Account, Entry
from finance.scale import seed_entries
from residents.models import Membership, Residence
from residents.scale import seed_scale

from ..conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledgers(db):
    """Two generated residences of ten lots (eight co-owners each): the first with
    its first three calls only, the second with ten years of calls and payments."""
    seed_scale(2, lots_per_residence=10)
    short, long = Residence.objects.filter(slug__startswith="scale-").order_by("pk")
    seed_entries(24, residences=[short])
    seed_entries(1600, residences=[long])
    return short, long


def _owner(residence: Residence):
    return Membership.objects.filter(residence=residence, lots__number=1).get().user


def _balance(residence: Residence, owner) -> object:
    return Entry.objects.filter(
        account__residence=residence, account__owner=owner
    ).aggregate(total=Sum("amount"))["total"]


def _measure(client, url, django_assert_max_num_queries, most: int):
    client.get(url)  # warm the session
    with django_assert_max_num_queries(most) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(captured.captured_queries)


def test_the_ledgers_are_ten_years_and_three_calls_long(ledgers):
    short, long = ledgers
    years = Entry.objects.filter(account__owner=_owner(long)).dates("due_on", "year")
    this_year = timezone.localdate().year
    assert [d.year for d in years] == list(range(this_year - 9, this_year + 1))
    assert Entry.objects.filter(account__owner=_owner(short)).count() == 3


def test_the_account_page_keeps_its_query_count(
    ledgers, client, django_assert_max_num_queries
):
    counts = []
    for residence in ledgers:
        owner = _owner(residence)
        login(client, owner)
        url = reverse("finance:account", args=[residence.slug])
        # session, user, standing, membership + lots, account, balance, calls +
        # their shares, entries count + page, badge, switcher…
        response, count = _measure(client, url, django_assert_max_num_queries, 14)
        counts.append(count)
        assert response.context["figures"]["total"] == _balance(residence, owner)
        assert len(response.context["calls"]) == min(
            8, Entry.objects.filter(account__owner=owner, kind="call").count()
        )
    assert counts[0] == counts[1]


def test_the_dashboard_widget_keeps_its_query_count(
    ledgers, client, django_assert_max_num_queries
):
    counts = []
    for residence in ledgers:
        owner = _owner(residence)
        login(client, owner)
        url = reverse("residents:dashboard", args=[residence.slug])
        # 22 today (every app's widget); the same for both ledgers is what counts
        response, count = _measure(client, url, django_assert_max_num_queries, 24)
        counts.append(count)
        charges = response.context["charges"]
        assert charges["total"] == _balance(residence, owner)
    assert counts[0] == counts[1]


def test_the_syndic_accounts_page_keeps_its_query_count(
    ledgers, client, django_assert_max_num_queries
):
    manager = ledgers[0].syndic.employees.get().user
    login(client, manager)
    counts = []
    for residence in ledgers:
        url = reverse("finance:accounts", args=[residence.slug])
        # session, user, MFA, standing, accounts count, switcher, badge, the page of
        # accounts with their balances
        response, count = _measure(client, url, django_assert_max_num_queries, 8)
        counts.append(count)
        shown = {a.pk: a.balance for a in response.context["page"]}
        expected = {
            a.pk: a.total
            for a in Account.objects.filter(residence=residence).annotate(
                total=Sum("entries__amount")
            )
        }
        assert shown == expected and len(shown) == 8
    assert counts[0] == counts[1]
