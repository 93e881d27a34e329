"""The syndic's year-end pages: approved accounts, the preview, the posting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from finance import regularisation, services
from finance.models import ClosingLine, Entry, EntryKind, YearClosing
from residents.models import Lot, LotShare, Role, SyndicRole

from ..conftest import MATRIX_ARGS, login, matrix_cells
from ..factories import make_employee, make_member, make_residence, make_user

pytestmark = pytest.mark.django_db

D = Decimal


def english(client, user):
    user.language = "en"
    user.save(update_fields=["language"])
    return login(client, user)


def _issued_budget(residence, year=2025, amount="2100.00", by=None):
    general = residence.allocation_keys.get(is_general=True)
    budget = services.budget_save(
        residence=residence,
        year=year,
        lines={general.pk: D(amount)},
        works_fund=D("100.00"),
        by=by,
    )
    services.budget_calls_issue(budget=budget, by=by)
    return budget


@pytest.fixture
def closing(world):
    """Budget 2025: 2 100 € on the general key (lots of 100..600 tantièmes: each
    lot's provisions are 100 € per 100 tantièmes), accounts approved at 2 520 €."""
    budget = _issued_budget(world.home, by=world.user("manager"))
    general = world.home.allocation_keys.get(is_general=True)
    return regularisation.closing_save(
        budget=budget,
        approved_on=date(2026, 5, 20),
        actuals={general.pk: D("2520.00")},
        by=world.user("manager"),
    )


def _form(world, general="2310.00", approved_on="2026-05-21"):
    key = world.home.allocation_keys.get(is_general=True)
    return {"approved_on": approved_on, f"key_{key.pk}": general}


MANAGE = [302, 404, 403, 403, 403, 403, 200, 200, 404]
MANAGE_POST = [302, 404, 403, 403, 403, 403, 302, 302, 404]

VIEWS = [
    ("finance:closing", "get", MANAGE),
    ("finance:closing", "post", MANAGE_POST),
    ("finance:closing_post", "get", MANAGE),
    ("finance:closing_post", "post", MANAGE_POST),
]


def _snapshot():
    return (
        list(
            YearClosing.objects.order_by("pk").values_list("approved_on", "posted_at")
        ),
        list(ClosingLine.objects.order_by("pk").values_list("key", "actual")),
        Entry.objects.filter(kind=EntryKind.REGULARISATION).count(),
    )


@pytest.mark.parametrize(
    MATRIX_ARGS,
    matrix_cells([(n, m, lambda w: [w.home.slug, 2025], row) for n, m, row in VIEWS]),
)
def test_role_matrix(world, closing, as_persona, name, method, args, persona, expected):
    before = _snapshot()
    client = as_persona(persona)
    response = getattr(client, method)(reverse(name, args=args(world)), _form(world))
    assert response.status_code == expected
    if expected != 302 or persona == "anonymous":
        assert _snapshot() == before
    elif name == "finance:closing":
        assert ClosingLine.objects.get().actual == D("2310.00")
    elif method == "post":
        assert YearClosing.objects.get().posted_at is not None
        assert Entry.objects.filter(kind=EntryKind.REGULARISATION).count() == 3


def test_from_the_accounts_to_the_posting(world, client):
    """Provisions 2 100 €; actual 2 310 € (+10 %): the owner (lots 1-2, 300
    tantièmes) owes 330 − 300 = 30 €, the council member (lot 3) 330 − 300 = 30 €,
    the president (lot 4) 440 − 400 = 40 €; lots 5 and 6 have no co-owner on the
    platform."""
    budget = _issued_budget(world.home, by=world.user("manager"))
    english(client, world.user("staff"))
    url = reverse("finance:closing", args=[world.home.slug, 2025])
    response = client.get(url)
    assert response.context["preview"] is None
    assert "Enter the actual expenses" in response.content.decode()
    response = client.post(url, _form(world), follow=True)
    assert "The approved accounts are saved." in response.content.decode()
    closing = YearClosing.objects.get(budget=budget)
    preview = response.context["preview"]
    rows = {row.owner: row.difference for row in preview.owners}
    assert rows == {
        world.user("owner"): D("30.00"),
        world.user("council"): D("30.00"),
        world.user("president"): D("40.00"),
    }
    assert [row.lot.number for row in preview.unowned] == [5, 6]
    post = reverse("finance:closing_post", args=[world.home.slug, 2025])
    assert post in response.content.decode()
    confirm = client.get(post)
    assert "One entry will be posted to each of 3 co-owner accounts" in (
        confirm.content.decode()
    )
    response = client.post(post, follow=True)
    assert "posted to 3 co-owner accounts" in response.content.decode()
    amounts = dict(
        Entry.objects.filter(kind=EntryKind.REGULARISATION).values_list(
            "account__owner", "amount"
        )
    )
    assert amounts == {
        world.user("owner").pk: D("30.00"),
        world.user("council").pk: D("30.00"),
        world.user("president").pk: D("40.00"),
    }
    closing.refresh_from_db()
    assert closing.posted_by == world.user("staff")
    # Posted: read-only, a second posting posts nothing.
    response = client.get(url)
    assert response.context["form"] is None
    assert "Posted on" in response.content.decode()
    response = client.post(url, _form(world, general="1.00"), follow=True)
    assert "can no longer change" in response.content.decode()
    assert ClosingLine.objects.get().actual == D("2310.00")
    response = client.post(post, follow=True)
    assert "already posted" in response.content.decode()
    assert Entry.objects.filter(kind=EntryKind.REGULARISATION).count() == 3


def test_the_form_shows_the_saved_amounts_and_requires_budget_keys(
    world, closing, client
):
    english(client, world.user("manager"))
    url = reverse("finance:closing", args=[world.home.slug, 2025])
    form = client.get(url).context["form"]
    key = world.home.allocation_keys.get(is_general=True)
    assert form[f"key_{key.pk}"].value() == D("2520.00")
    assert form["approved_on"].value() == date(2026, 5, 20)
    response = client.post(url, _form(world, general=""))
    assert response.status_code == 200
    assert response.context["form"].errors[f"key_{key.pk}"]
    response = client.post(url, _form(world, approved_on="2025-12-01"))
    assert "approved after the year ends" in response.content.decode()
    assert ClosingLine.objects.get().actual == D("2520.00")


def test_posting_before_the_calls_are_issued_is_refused(world, client):
    general = world.home.allocation_keys.get(is_general=True)
    budget = services.budget_save(
        residence=world.home,
        year=2024,
        lines={general.pk: D("100.00")},
        works_fund=D("0"),
        by=world.user("manager"),
    )
    regularisation.closing_save(
        budget=budget,
        approved_on=date(2025, 5, 1),
        actuals={general.pk: D("90.00")},
        by=world.user("manager"),
    )
    english(client, world.user("manager"))
    page = client.get(reverse("finance:closing", args=[world.home.slug, 2024]))
    assert "not issued yet" in page.content.decode()
    response = client.post(
        reverse("finance:closing_post", args=[world.home.slug, 2024]), follow=True
    )
    assert "Issue the calls of the budget 2024" in response.content.decode()
    assert YearClosing.objects.get().posted_at is None
    assert not Entry.objects.filter(kind=EntryKind.REGULARISATION).exists()


def test_unknown_year_other_residence_and_no_closing_are_not_found(world, client):
    other = _issued_budget(world.other, year=2025, by=world.user("other_staff"))
    regularisation.closing_save(
        budget=other,
        approved_on=date(2026, 5, 1),
        actuals={world.other.allocation_keys.get(is_general=True).pk: D("1.00")},
        by=None,
    )
    _issued_budget(world.home, year=2023, by=world.user("manager"))
    login(client, world.user("manager"))
    slug = world.home.slug
    assert client.get(reverse("finance:closing", args=[slug, 2025])).status_code == 404
    assert (
        client.post(reverse("finance:closing_post", args=[slug, 2025])).status_code
        == 404
    )
    # A budget without approved accounts has nothing to post yet.
    assert (
        client.get(reverse("finance:closing_post", args=[slug, 2023])).status_code
        == 404
    )
    assert YearClosing.objects.get().posted_at is None


def _residence_with(lots: int):
    residence = make_residence(lots=0)
    general = residence.allocation_keys.get(is_general=True)
    for number in range(1, lots + 1):
        lot = Lot.objects.create(residence=residence, number=number)
        LotShare.objects.create(lot=lot, key=general, units=97 + number)
        make_member(residence, Role.OWNER, lots=[lot])
    manager = make_user()
    budget = _issued_budget(residence, amount="100000.01", by=manager)
    regularisation.closing_save(
        budget=budget,
        approved_on=date(2026, 3, 1),
        actuals={general.pk: D("103333.33")},
        by=manager,
    )
    return residence


# Session, user, MFA, residence, the header's residences and unread count (6); the
# budget, the closing, "calls issued?" (3); the preview: keys, closing lines,
# provisions per lot and key, tantièmes, owners (memberships and their lots), lots,
# people, posted entries (9); the form also reads the keys, the budget lines and the
# closing lines (3).
QUERIES = {"finance:closing": 21, "finance:closing_post": 18}


@pytest.mark.parametrize("lots", [4, 40])
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_the_pages_keep_their_query_count(
    db, client, django_assert_max_num_queries, lots, name
):
    residence = _residence_with(lots)
    english(client, make_employee(residence.syndic, SyndicRole.MANAGER))
    url = reverse(name, args=[residence.slug, 2025])
    client.get(url)
    with django_assert_max_num_queries(QUERIES[name]):
        response = client.get(url)
    preview = response.context["preview"]
    assert len(preview.lots) == lots == len(preview.owners)
    assert preview.actual == D("103333.33")
    assert sum(row.actual for row in preview.owners) == D("103333.33")
