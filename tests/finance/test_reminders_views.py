"""The reminders' screens: the syndic's settings and list, the formal notice
download, the overdue total for the council (and its dashboard card)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from finance import overdue, reminders, services
from finance.models import EntryKind, Reminder, ReminderPolicy, ReminderStep
from residents.access import standing
from residents.models import Lot, LotShare, Role

from ..conftest import MATRIX_ARGS, login, matrix_cells
from ..factories import make_member

pytestmark = pytest.mark.django_db

D = Decimal


def english(client, user):
    user.language = "en"
    user.save(update_fields=["language"])
    return login(client, user)


def issue(world, year, instalments=4):
    key = world.home.allocation_keys.get(is_general=True)
    budget = services.budget_save(
        residence=world.home,
        year=year,
        lines={key.pk: D("12000")},
        works_fund=D("600"),
        by=world.user("manager"),
        instalments_count=instalments,
    )
    return services.budget_calls_issue(budget=budget, by=world.user("manager"))


def account(world, persona):
    return services.account_for(world.home, world.user(persona).pk)


def pay(world, persona, amount, on=date(2026, 6, 1)):
    services.entry_post(
        account=account(world, persona),
        kind=EntryKind.PAYMENT,
        amount=-D(amount),
        label="Virement",
        on=on,
    )


@pytest.fixture
def sent(world):
    """2027's calls; on 31 January 2027 each co-owner got the first one's formal
    notice."""
    calls = issue(world, 2027)
    reminders.send_daily("2027-01-31")
    return calls


def _owner_notice(world):
    return Reminder.objects.get(
        account__owner=world.user("owner"), step=ReminderStep.FORMAL
    )


# anonymous outsider tenant owner council president staff manager other_staff
MANAGE = [302, 404, 403, 403, 403, 403, 200, 200, 404]
MANAGE_POST = [302, 404, 403, 403, 403, 403, 302, 302, 404]
NOTICE = [302, 404, 404, 200, 404, 404, 200, 200, 404]
COUNCIL = [302, 404, 403, 403, 200, 200, 200, 200, 404]
NO_POST = [302, 404, 405, 405, 405, 405, 405, 405, 404]

VIEWS = [
    ("finance:reminders", "get", lambda w: [w.home.slug], MANAGE),
    ("finance:reminders", "post", lambda w: [w.home.slug], MANAGE_POST),
    (
        "finance:formal_notice",
        "get",
        lambda w: [w.home.slug, _owner_notice(w).pk],
        NOTICE,
    ),
    (
        "finance:formal_notice",
        "post",
        lambda w: [w.home.slug, _owner_notice(w).pk],
        NO_POST,
    ),
    ("finance:overdue", "get", lambda w: [w.home.slug], COUNCIL),
    ("finance:overdue", "post", lambda w: [w.home.slug], NO_POST),
]

FORM = {
    "enabled": "on",
    "friendly_days_before": "3",
    "late_days_after": "5",
    "formal_days_after": "20",
}


def _policies():
    return list(
        ReminderPolicy.objects.values_list(
            "residence_id", "enabled", "friendly_days_before", "formal_days_after"
        )
    )


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, sent, as_persona, name, method, args, persona, expected):
    before = (_policies(), Reminder.objects.count())
    client = as_persona(persona)
    url = reverse(name, args=args(world))
    response = getattr(client, method)(url, FORM if method == "post" else None)
    assert response.status_code == expected
    if method == "post" and expected != 302:
        assert (_policies(), Reminder.objects.count()) == before
    if name == "finance:formal_notice" and expected == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"


def test_the_settings_are_created_on_save_then_changed(world, client):
    english(client, world.user("manager"))
    url = reverse("finance:reminders", args=[world.home.slug])
    response = client.get(url)
    assert response.status_code == 200
    assert "default settings" in response.content.decode()
    assert response.context["form"]["formal_days_after"].value() == 30
    assert not ReminderPolicy.objects.exists()  # reading creates nothing
    response = client.post(url, {**FORM, "council_sees_debtors": "on"}, follow=True)
    assert "The reminder settings are saved." in response.content.decode()
    policy = ReminderPolicy.objects.get(residence=world.home)
    assert (
        policy.enabled,
        policy.friendly_days_before,
        policy.late_days_after,
        policy.formal_days_after,
        policy.council_sees_debtors,
    ) == (True, 3, 5, 20, True)
    # Unchecked boxes switch off; the same row changes, with its history.
    unchecked = {k: v for k, v in FORM.items() if k != "enabled"}
    client.post(url, {**unchecked, "formal_days_after": "45"})
    policy.refresh_from_db()
    assert (policy.enabled, policy.council_sees_debtors, policy.formal_days_after) == (
        False,
        False,
        45,
    )
    assert ReminderPolicy.objects.count() == 1
    assert policy.history.count() == 2
    assert policy.history.first().history_user == world.user("manager")
    assert client.get(url).context["form"]["formal_days_after"].value() == 45


@pytest.mark.parametrize(
    "field,value",
    [
        ("formal_days_after", "5"),  # not after the reminder
        ("formal_days_after", "4"),
        ("late_days_after", "-1"),
        ("friendly_days_before", "many"),
        ("formal_days_after", "400"),
        ("late_days_after", ""),
    ],
)
def test_bad_settings_re_render_and_save_nothing(world, client, field, value):
    english(client, world.user("manager"))
    url = reverse("finance:reminders", args=[world.home.slug])
    response = client.post(url, {**FORM, field: value})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not ReminderPolicy.objects.exists()


def test_the_list_shows_the_reminders_sent(world, sent, client):
    english(client, world.user("staff"))
    response = client.get(reverse("finance:reminders", args=[world.home.slug]))
    rows = list(response.context["page"])
    assert len(rows) == 3 and {r.step for r in rows} == {ReminderStep.FORMAL}
    html = response.content.decode()
    notice = reverse("finance:formal_notice", args=[world.home.slug, rows[0].pk])
    assert notice in html
    assert "Formal notice (mise en demeure)" in html
    assert f"{rows[0].amount:.2f} €" in html


def _reminders(world, count):
    """`count` reminders (at most 108): the steps of monthly calls, for the owner,
    then the council member, then the president."""
    calls = issue(world, 2028, instalments=12)
    rows = [
        Reminder(
            account=account(world, persona),
            call=call,
            step=step,
            sent_on=call.due_on,
            amount=D("10.00"),
        )
        for persona in ("owner", "council", "president")
        for call in calls
        for step in reminders.STEPS
    ]
    Reminder.objects.bulk_create(rows[:count])


def test_the_list_is_paginated_newest_first(world, client):
    _reminders(world, 72)
    english(client, world.user("manager"))
    url = reverse("finance:reminders", args=[world.home.slug])
    first = client.get(url).context["page"]
    assert first.paginator.count == 72 and len(first.object_list) == 50
    assert first.object_list[0].sent_on == date(2028, 12, 1)
    second = client.get(url, {"page": 2}).context["page"]
    assert len(second.object_list) == 22
    assert second.object_list[-1].sent_on == date(2028, 1, 1)


@pytest.mark.parametrize("count", [1, 20])
def test_the_reminders_page_keeps_its_query_count(
    world, client, django_assert_max_num_queries, count
):
    _reminders(world, count)
    english(client, world.user("manager"))
    url = reverse("finance:reminders", args=[world.home.slug])
    client.get(url)
    # Session, user, MFA check, standing; the settings; the reminders and their
    # count; the accounts in arrears; the header's residences and unread count.
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert len(response.context["page"].object_list) == count


# ------------------------------------------------------------- overdue


@pytest.fixture
def last_year(world):
    """2026's four calls, all past due now (the owner paid 100 €, the council
    member everything)."""
    calls = issue(world, 2026)
    pay(world, "owner", "100.00")
    council = account(world, "council")
    pay(world, "council", sum(e.amount for e in council.entries.all()))
    return calls


def _owed(world, persona):
    return sum(e.amount for e in account(world, persona).entries.filter(amount__gt=0))


def test_the_council_sees_the_total_but_no_names(world, last_year, client):
    expected = _owed(world, "owner") - D("100.00") + _owed(world, "president")
    english(client, world.user("council"))
    response = client.get(reverse("finance:overdue", args=[world.home.slug]))
    figures = response.context["overdue"]
    assert (figures.total, figures.count, figures.debtors) == (expected, 2, None)
    html = response.content.decode()
    assert f"{expected:,.2f}" in html
    assert world.user("owner").get_full_name() not in html
    assert "do not let the council see" in html


def test_names_when_the_rules_allow_and_always_for_the_syndic(world, last_year, client):
    owner_owes = _owed(world, "owner") - D("100.00")
    president_owes = _owed(world, "president")
    english(client, world.user("staff"))
    url = reverse("finance:overdue", args=[world.home.slug])
    debtors = client.get(url).context["overdue"].debtors
    assert [(d.name, d.amount) for d in debtors] == sorted(
        [
            (world.user("owner").get_full_name(), owner_owes),
            (world.user("president").get_full_name(), president_owes),
        ],
        key=lambda row: -row[1],
    )
    ReminderPolicy.objects.create(residence=world.home, council_sees_debtors=True)
    english(client, world.user("president"))
    response = client.get(url)
    assert len(response.context["overdue"].debtors) == 2
    assert world.user("owner").get_full_name() in response.content.decode()


def test_only_what_is_past_due_counts(world, last_year):
    council = standing(world.user("council"), world.home.slug)
    owner = account(world, "owner")
    q = {e.call.period: e.amount for e in owner.entries.filter(kind="call")}
    president = account(world, "president")
    p = {e.call.period: e.amount for e in president.entries.filter(kind="call")}
    # On 1 October 2026 the fourth call is due that day, not yet overdue.
    figures = overdue.council_overdue(council, today=date(2026, 10, 1))
    assert figures.total == (q[1] + q[2] + q[3] - D("100.00")) + (p[1] + p[2] + p[3])
    figures = overdue.council_overdue(council, today=date(2026, 1, 1))
    assert (figures.total, figures.count) == (D("0.00"), 0)
    # Nobody but the council and the syndic gets the figures.
    assert (
        overdue.council_overdue(standing(world.user("owner"), world.home.slug)) is None
    )
    assert (
        overdue.council_overdue(standing(world.user("tenant"), world.home.slug)) is None
    )


@pytest.mark.parametrize("persona,names", [("council", False), ("manager", True)])
def test_the_dashboard_card(world, last_year, persona, names):
    member = standing(world.user(persona), world.home.slug)
    figures = overdue.council_overdue(member)
    html = render_to_string(
        "finance/_council_overdue.html", {"overdue": figures, "standing": member}
    )
    assert "Overdue charges" in html and "2 co-owners in arrears" in html
    assert (world.user("owner").get_full_name() in html) is names
    assert reverse("finance:overdue", args=[world.home.slug]) in html
    owner = standing(world.user("owner"), world.home.slug)
    empty = render_to_string(
        "finance/_council_overdue.html",
        {"overdue": overdue.council_overdue(owner), "standing": owner},
    )
    assert empty.strip() == ""


@pytest.mark.parametrize("persona", ["council", "manager"])
def test_the_overdue_figures_keep_their_query_count(
    world, client, django_assert_max_num_queries, persona
):
    issue(world, 2026)
    member = standing(world.user(persona), world.home.slug)
    with django_assert_max_num_queries(2):  # the settings, the accounts
        small = overdue.council_overdue(member)
    english(client, world.user(persona))
    url = reverse("finance:overdue", args=[world.home.slug])
    client.get(url)
    # Session, user (and the staff's MFA check), standing; the settings, the
    # accounts in arrears; the header's residences and unread count.
    with django_assert_max_num_queries(8) as one:
        client.get(url)
    general = world.home.allocation_keys.get(is_general=True)
    for number in range(10, 30):
        lot = Lot.objects.create(residence=world.home, number=number)
        LotShare.objects.create(lot=lot, key=general, units=50)
        make_member(world.home, Role.OWNER, lots=[lot])
    issue(world, 2025)
    with django_assert_max_num_queries(2):
        large = overdue.council_overdue(member)
    assert large.count == small.count + 20
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert response.context["overdue"].count == large.count
