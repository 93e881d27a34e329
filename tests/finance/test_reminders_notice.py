"""The formal notice (mise en demeure) PDF: only what was due, separated by nature,
what is not yet due apart, the art. 19-2 warning; the same notice when downloaded
again after a later payment."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Q, Sum
from django.urls import reverse
from pypdf import PdfReader

from finance import reminders, services
from finance.models import (
    CallKind,
    CallShare,
    Entry,
    EntryKind,
    FundCall,
    Reminder,
    ReminderStep,
)
from notifications.models import Notification

from ..conftest import login

pytestmark = pytest.mark.django_db

D = Decimal
SENT_ON = date(2027, 1, 31)


def english(client, user):
    user.language = "en"
    user.save(update_fields=["language"])
    return login(client, user)


def _text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    # One line of text: a sentence may wrap anywhere on the page.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _issue(world, year):
    key = world.home.allocation_keys.get(is_general=True)
    budget = services.budget_save(
        residence=world.home,
        year=year,
        lines={key.pk: D("12000")},
        works_fund=D("600"),
        by=world.user("manager"),
    )
    return services.budget_calls_issue(budget=budget, by=world.user("manager"))


def _works_call(world, period, due_on, amounts):
    """A works instalment voted at an AG, on the owner's lots 1 and 2."""
    call = FundCall.objects.create(
        residence=world.home,
        kind=CallKind.WORKS,
        label=f"Ravalement {period}/2",
        period=period,
        due_on=due_on,
        total=sum(amounts),
    )
    key = world.home.allocation_keys.get(is_general=True)
    for number, amount in zip((1, 2), amounts, strict=True):
        CallShare.objects.create(
            call=call,
            lot=world.home.lots.get(number=number),
            key=key,
            units=100 * number,
            key_units=300,
            amount=amount,
        )
    services.entry_post(
        account=services.account_for(world.home, world.user("owner").pk),
        kind=EntryKind.CALL,
        amount=sum(amounts),
        label=call.label,
        due_on=due_on,
        call=call,
    )
    return call


@pytest.fixture
def ledger(world, django_capture_on_commit_callbacks):
    """The owner owes the 2026 provisions (500 € paid on them in March 2026), the
    2027 ones, and a works call in two instalments (15 January and 1 June 2027).
    The daily job runs on 31 January 2027."""
    last_year = _issue(world, 2026)
    this_year = _issue(world, 2027)
    works = [
        _works_call(world, 1, date(2027, 1, 15), [D("300.00"), D("600.00")]),
        _works_call(world, 2, date(2027, 6, 1), [D("300.00"), D("600.00")]),
    ]
    account = services.account_for(world.home, world.user("owner").pk)
    services.entry_post(
        account=account,
        kind=EntryKind.PAYMENT,
        amount=D("-500.00"),
        label="Virement",
        on=date(2026, 3, 1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        reminders.send_daily(SENT_ON.isoformat())
    return account, last_year, this_year, works


def _amount(account, call):
    return Entry.objects.get(account=account, call=call).amount


def _parts(call, lots=(1, 2)):
    shares = CallShare.objects.filter(call=call, lot__number__in=lots)
    figures = shares.aggregate(
        provision=Sum("amount", filter=Q(works_fund=False)),
        fund=Sum("amount", filter=Q(works_fund=True)),
    )
    return figures["provision"], figures["fund"]


def _subtotal(text, title) -> Decimal:
    found = re.search(rf"Subtotal: {re.escape(title)} (\d+\.\d{{2}}) €", text)
    assert found, f"no subtotal for {title}"
    return D(found.group(1))


def _notice_url(world, account):
    formal = (
        Reminder.objects.filter(account=account, step=ReminderStep.FORMAL)
        .order_by("pk")
        .first()
    )
    return reverse("finance:formal_notice", args=[world.home.slug, formal.pk])


def test_the_notice_separates_what_is_claimed_by_nature(world, ledger, client):
    account, last_year, this_year, works = ledger
    # 2026's quarters (minus the 500 € paid) and 2027's first one get their formal
    # notice the same day; the works instalment only its reminder (due + 10 days).
    formal = Reminder.objects.filter(account=account, step=ReminderStep.FORMAL)
    assert {r.call_id for r in formal} == {c.pk for c in last_year[1:]} | {
        this_year[0].pk
    }
    assert Reminder.objects.get(account=account, call=works[0]).step == "late"
    english(client, world.user("owner"))
    text = _text(client.get(_notice_url(world, account)))

    arrears = sum(_amount(account, c) for c in last_year) - D("500.00")
    provision, fund = _parts(this_year[0])
    assert provision + fund == _amount(account, this_year[0])
    assert _subtotal(text, "Arrears of previous years") == arrears
    assert _subtotal(text, "Provisions on the budget of 2027") == provision
    assert _subtotal(text, "Contributions to the fonds de travaux") == fund
    assert _subtotal(text, "Works and other provisions outside the budget") == D(
        "900.00"
    )
    total = D(re.search(r"Total claimed: (\d+\.\d{2}) €", text).group(1))
    assert total == arrears + provision + fund + D("900.00")
    # What is not yet due is listed apart, not claimed.
    upcoming = sum(_amount(account, c) for c in this_year[1:]) + D("900.00")
    not_due = D(re.search(r"Not yet due (\d+\.\d{2}) €", text).group(1))
    assert not_due == upcoming
    assert "Provision 2/4 2027" in text.split("Not yet due (not claimed")[1]
    assert "Provision 2/4 2027" not in text.split("Not yet due (not claimed")[0]
    # Art. 19-2: 30 days after the notice, the year's remaining provisions.
    assert "Article 19-2 of the law of 10 July 1965" in text
    assert "02/03/2027" in text
    accelerable = sum(_amount(account, c) for c in this_year[1:])
    assert f"Provisions concerned: {accelerable:.2f} €" in text
    assert "31/01/2027" in text
    assert f"MED-{world.home.slug}-{account.pk}-20270131" in text
    # The notification said the same total, with the link to this notice.
    note = Notification.objects.get(
        recipient=world.user("owner"), url=_notice_url(world, account)
    )
    assert f"{total:.2f}" in note.title


def test_a_partly_paid_provision_is_split_in_proportion(world, client):
    this_year = _issue(world, 2027)
    account = services.account_for(world.home, world.user("owner").pk)
    q1 = _amount(account, this_year[0])
    services.entry_post(
        account=account,
        kind=EntryKind.PAYMENT,
        amount=D("-100.00"),
        label="Virement",
        on=date(2027, 1, 5),
    )
    reminders.send_daily(SENT_ON.isoformat())
    english(client, world.user("owner"))
    text = _text(client.get(_notice_url(world, account)))
    provision = _subtotal(text, "Provisions on the budget of 2027")
    fund = _subtotal(text, "Contributions to the fonds de travaux")
    assert provision + fund == q1 - D("100.00")
    full_provision, full_fund = _parts(this_year[0])
    # In proportion to the call's parts, to the cent.
    assert abs(fund - full_fund * (q1 - 100) / q1) < D("0.01")
    assert "Arrears of previous years" not in text
    assert "Works and other" not in text


def test_the_notice_stays_the_same_after_a_later_payment(world, ledger, client):
    account = ledger[0]
    english(client, world.user("owner"))
    url = _notice_url(world, account)
    before = re.search(r"Total claimed: (\d+\.\d{2}) €", _text(client.get(url)))
    services.entry_post(
        account=account,
        kind=EntryKind.PAYMENT,
        amount=D("-1000.00"),
        label="Virement",
        on=date(2027, 2, 10),
    )
    after = re.search(r"Total claimed: (\d+\.\d{2}) €", _text(client.get(url)))
    assert before.group(1) == after.group(1)


def test_the_syndic_downloads_it_others_do_not(world, ledger, client):
    account = ledger[0]
    url = _notice_url(world, account)
    english(client, world.user("staff"))
    assert "Total claimed" in _text(client.get(url))
    for persona in ("council", "president", "tenant"):
        login(client, world.user(persona))
        assert client.get(url).status_code == 404
    # A friendly or late reminder has no notice.
    late = Reminder.objects.get(account=account, step=ReminderStep.LATE)
    login(client, world.user("staff"))
    other = reverse("finance:formal_notice", args=[world.home.slug, late.pk])
    assert client.get(other).status_code == 404


@pytest.mark.parametrize("years", [1, 4])
def test_the_notice_reads_in_constant_queries(
    world, client, django_assert_max_num_queries, years
):
    for year in range(2027 - years + 1, 2028):
        _issue(world, year)
    reminders.send_daily(SENT_ON.isoformat())
    account = services.account_for(world.home, world.user("owner").pk)
    english(client, world.user("owner"))
    url = _notice_url(world, account)
    client.get(url)
    # Session, user, standing; the reminder with its account; the credits, the
    # calls, the owner's lots (two), the shares of the year's calls.
    with django_assert_max_num_queries(11):
        text = _text(client.get(url))
    if years > 1:
        assert "Arrears of previous years" in text
