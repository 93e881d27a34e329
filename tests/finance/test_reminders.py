"""The daily reminders job: the sequence over a moved clock, once per step, stopped
by a payment, per residence, in a number of queries that does not grow with the
accounts and calls."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from finance import reminders, services
from finance.models import (
    Entry,
    EntryKind,
    Reminder,
    ReminderPolicy,
    ReminderStep,
)
from finance.payments import unpaid_calls
from notifications.models import Notification
from residents.models import Lot, LotShare, Role

from ..factories import make_member, make_residence, make_user

pytestmark = pytest.mark.django_db

D = Decimal
FRIENDLY, LATE, FORMAL = ReminderStep.FRIENDLY, ReminderStep.LATE, ReminderStep.FORMAL


GENERAL, WORKS_FUND = D("12000"), D("600")


def issue(residence, by, year=2027, general=GENERAL, works_fund=WORKS_FUND):
    key = residence.allocation_keys.get(is_general=True)
    budget = services.budget_save(
        residence=residence,
        year=year,
        lines={key.pk: general},
        works_fund=works_fund,
        by=by,
    )
    return services.budget_calls_issue(budget=budget, by=by)


@pytest.fixture
def calls(world):
    """2027 in four quarterly calls, due 1 Jan, 1 Apr, 1 Jul, 1 Oct 2027; the owner
    (lots 1-2), the council member (3) and the president (4) each owe a share."""
    return issue(world.home, world.user("manager"))


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """The daily job as beat runs it, on a given day, its notifications sent."""

    def _run(day: str) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return reminders.send_daily.delay(day).get()

    return _run


def account(world, persona):
    return services.account_for(world.home, world.user(persona).pk)


def pay(world, persona, amount, on=date(2026, 12, 1)):
    return services.entry_post(
        account=account(world, persona),
        kind=EntryKind.PAYMENT,
        amount=-D(amount),
        label="Virement",
        on=on,
    )


def steps(world, persona):
    return list(
        Reminder.objects.filter(account=account(world, persona))
        .order_by("call__due_on", "pk")
        .values_list("call__period", "step", "sent_on", "amount")
    )


def notes(world, persona):
    return list(
        Notification.objects.filter(recipient=world.user(persona)).order_by("pk")
    )


OWNERS = ("owner", "council", "president")


def test_the_sequence_over_a_moved_clock_each_step_once(world, calls, run):
    owner = account(world, "owner")
    q1 = Entry.objects.get(account=owner, call=calls[0])
    # Default settings: friendly 7 days before, reminder 10 days after, formal
    # notice 30 days after the due date (1 January 2027).
    assert run("2026-12-24") == 0
    assert run("2026-12-25") == 3  # one friendly reminder per co-owner
    assert steps(world, "owner") == [(1, FRIENDLY, date(2026, 12, 25), q1.amount)]
    assert run("2026-12-26") == 0
    assert run("2027-01-10") == 0
    assert run("2027-01-11") == 3
    assert run("2027-01-30") == 0
    assert run("2027-01-31") == 3
    assert run("2027-03-24") == 0
    assert run("2027-03-25") == 3  # the second quarter's friendly reminder
    assert steps(world, "owner") == [
        (1, FRIENDLY, date(2026, 12, 25), q1.amount),
        (1, LATE, date(2027, 1, 11), q1.amount),
        (1, FORMAL, date(2027, 1, 31), q1.amount),
        (2, FRIENDLY, date(2027, 3, 25), _amount(owner, calls[1])),
    ]
    mine = notes(world, "owner")
    assert [n.url for n in mine[:2]] == [
        reverse("finance:account", args=[world.home.slug])
    ] * 2
    formal = Reminder.objects.get(account=owner, step=FORMAL)
    assert mine[2].url == reverse(
        "finance:formal_notice", args=[world.home.slug, formal.pk]
    )
    assert len(mine) == 4
    # Tenants and lots without a co-owner on the platform get nothing.
    assert notes(world, "tenant") == []
    assert Reminder.objects.count() == 12


def _amount(account, call) -> Decimal:
    return Entry.objects.get(account=account, call=call).amount


def test_notifications_say_what_is_owed_and_when(world, calls, run, mailoutbox):
    world.user("owner").language = "en"
    world.user("owner").save(update_fields=["language"])
    owner = account(world, "owner")
    q1 = _amount(owner, calls[0])
    run("2026-12-25")
    friendly = notes(world, "owner")[-1]
    assert "01/01/2027" in friendly.title and f"{q1:.2f}" in friendly.title
    assert (
        "friendly reminder" in friendly.body and "Provision 1/4 2027" in friendly.body
    )
    run("2027-01-11")
    late = notes(world, "owner")[-1]
    assert "payment overdue" in late.title
    assert f"{q1:.2f} € remain to pay" in late.body
    run("2027-01-31")
    formal = notes(world, "owner")[-1]
    assert "formal notice" in formal.title and f"{q1:.2f}" in formal.title
    assert "article 19-2" in formal.body
    mails = [m for m in mailoutbox if m.to == [world.user("owner").email]]
    assert len(mails) == 3
    assert "formal notice" in mails[-1].subject


def test_running_twice_the_same_day_sends_nothing_twice(world, calls, run, mailoutbox):
    for day in ("2026-12-25", "2027-01-11", "2027-01-31"):
        assert run(day) == 3
        counts = (
            Reminder.objects.count(),
            Notification.objects.count(),
            len(mailoutbox),
        )
        assert run(day) == 0
        assert (
            Reminder.objects.count(),
            Notification.objects.count(),
            len(mailoutbox),
        ) == counts


def test_a_job_that_did_not_run_sends_only_the_latest_step(world, calls, run):
    assert run("2027-02-15") == 3
    assert [s[:2] for s in steps(world, "owner")] == [(1, FORMAL)]
    # Nor does an earlier step follow a later one.
    assert run("2027-02-16") == 0
    assert [s[:2] for s in steps(world, "owner")] == [(1, FORMAL)]
    assert len(notes(world, "owner")) == 1


def test_a_payment_stops_the_sequence(world, calls, run):
    owner = account(world, "owner")
    assert run("2026-12-25") == 3
    pay(world, "owner", _amount(owner, calls[0]))
    assert run("2027-01-11") == 2  # council and president only
    assert run("2027-01-31") == 2
    assert [s[:2] for s in steps(world, "owner")] == [(1, FRIENDLY)]
    assert len(notes(world, "owner")) == 1
    # The next call is reminded as usual.
    assert run("2027-03-25") == 3
    assert [s[:2] for s in steps(world, "owner")] == [(1, FRIENDLY), (2, FRIENDLY)]


def test_a_partial_payment_is_reminded_for_the_rest(world, calls, run):
    owner = account(world, "owner")
    q1 = _amount(owner, calls[0])
    pay(world, "owner", "100.00")
    run("2027-01-11")
    late = Reminder.objects.get(account=owner)
    assert (late.step, late.amount) == (LATE, q1 - D("100.00"))
    assert f"{q1 - D('100.00'):.2f}" in notes(world, "owner")[-1].body


def test_credits_pay_the_oldest_call_first(world, calls, run):
    """A payment as large as one quarter and a half settles the first quarter; the
    second is reminded for what remains."""
    owner = account(world, "owner")
    q1, q2 = _amount(owner, calls[0]), _amount(owner, calls[1])
    pay(world, "owner", q1 + D("50.00"))
    run("2027-04-11")
    assert steps(world, "owner") == [(2, LATE, date(2027, 4, 11), q2 - D("50.00"))]


def test_a_disabled_policy_sends_nothing(world, calls, run):
    ReminderPolicy.objects.create(residence=world.home, enabled=False)
    for day in ("2026-12-25", "2027-01-11", "2027-01-31", "2027-06-30"):
        assert run(day) == 0
    assert not Reminder.objects.exists()
    assert not Notification.objects.exists()


def test_each_residence_follows_its_own_settings(world, calls, run):
    other = world.other
    lot = other.lots.first()
    make_member(other, Role.OWNER, lots=[lot])  # the outsider holds no lot there
    issue(other, world.user("other_staff"))
    ReminderPolicy.objects.create(
        residence=other,
        friendly_days_before=2,
        late_days_after=3,
        formal_days_after=5,
    )
    # 25 December: the home residence's friendly reminders (7 days before), not yet
    # the other's (2 days before).
    assert run("2026-12-25") == 3
    assert not Reminder.objects.filter(account__residence=other).exists()
    assert run("2026-12-30") == 1
    assert run("2027-01-04") == 1
    assert list(
        Reminder.objects.filter(account__residence=other)
        .order_by("sent_on")
        .values_list("step", "sent_on")
    ) == [(FRIENDLY, date(2026, 12, 30)), (LATE, date(2027, 1, 4))]
    assert run("2027-01-06") == 1  # formal, 5 days after
    assert not Reminder.objects.filter(
        account__residence=world.home, step=LATE
    ).exists()


def test_defaults_apply_without_creating_settings(world, calls, run):
    assert run("2026-12-25") == 3
    assert not ReminderPolicy.objects.exists()
    policy = reminders.policy_of(world.home)
    assert policy.pk is None and policy.enabled
    assert (
        policy.friendly_days_before,
        policy.late_days_after,
        policy.formal_days_after,
    ) == (7, 10, 30)


def test_a_step_recorded_by_a_concurrent_run_is_not_sent_again(world, calls, run):
    """The unique row decides: a run that finds the step already recorded (by
    another run that got there first) neither records nor notifies it."""
    owner = account(world, "owner")
    Reminder.objects.create(
        account=owner,
        call=calls[0],
        step=LATE,
        sent_on=date(2027, 1, 11),
        amount=_amount(owner, calls[0]),
    )
    policy = reminders.policy_of(world.home)
    planned, _unpaid = reminders.reminders_due(world.home, policy, date(2027, 1, 11))
    assert len(planned) == 2  # the owner's step is known to be sent
    # Even when planned before the other run recorded it, it is inserted once.
    entry = Entry.objects.get(account=owner, call=calls[0])
    entry.unpaid = entry.amount
    again = reminders.Planned(entry=entry, step=LATE)
    assert reminders.reminders_record([again], date(2027, 1, 11)) == {}
    assert run("2027-01-11") == 2
    assert len(notes(world, "owner")) == 0


def test_the_batch_agrees_with_each_accounts_unpaid_calls(world, calls):
    """The set-based read finds, per account, what `payments.unpaid_calls` does."""
    issue(world.home, world.user("manager"), year=2026)
    pay(world, "owner", "1000.00")
    pay(world, "council", "0.01")
    council = account(world, "council")
    pay(
        world,
        "president",
        sum(e.amount for e in account(world, "president").entries.all()),
    )
    services.entry_correct(
        entry=Entry.objects.filter(account=council, kind=EntryKind.CALL).first(),
        by=world.user("manager"),
        reason="Lot vendu",
    )
    batch = {}
    for entry in reminders.unpaid_call_entries(world.home):
        batch.setdefault(entry.account_id, []).append((entry.call_id, entry.unpaid))
    for persona in OWNERS:
        mine = account(world, persona)
        one = [(due.call.pk, due.amount) for due in unpaid_calls(mine)]
        assert batch.get(mine.pk, []) == one
    assert account(world, "president").pk not in batch
    assert len(batch[account(world, "owner").pk]) == 8 - 2  # 1 000 € ≈ 2.2 calls


def test_the_rules_date_each_step_from_the_due_date():
    policy = ReminderPolicy(friendly_days_before=7, late_days_after=10)
    policy.formal_days_after = 30
    due = date(2027, 4, 1)
    assert reminders.step_due(policy, due, date(2027, 3, 24)) is None
    assert reminders.step_due(policy, due, date(2027, 3, 25)) == FRIENDLY
    assert reminders.step_due(policy, due, date(2027, 4, 10)) == FRIENDLY
    assert reminders.step_due(policy, due, date(2027, 4, 11)) == LATE
    assert reminders.step_due(policy, due, date(2027, 5, 1)) == FORMAL
    assert reminders.step_due(policy, due, date(2030, 1, 1)) == FORMAL


def _residence_with(accounts: int):
    residence = make_residence(lots=0)
    general = residence.allocation_keys.get(is_general=True)
    for number in range(1, accounts + 1):
        lot = Lot.objects.create(residence=residence, number=number)
        LotShare.objects.create(lot=lot, key=general, units=100 + number)
        make_member(residence, Role.OWNER, lots=[lot])
    issue(residence, make_user(), general=D("10000.01"))
    return residence


def _queries(day: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        reminders.send_daily(day)
    return len(captured.captured_queries)


@pytest.mark.parametrize("day", ["2026-12-25", "2027-01-31"])
def test_the_job_queries_per_residence_not_per_entry(db, day):
    small = _residence_with(2)
    one = _queries(day)
    assert Reminder.objects.filter(account__residence=small).count() == 2
    # The residences with their settings; then per residence: its savepoint, its
    # unpaid calls, the reminders already sent, one insert, the release.
    assert one <= 6
    Reminder.objects.all().delete()
    big = _residence_with(30)
    for extra in range(1, 4):  # more calls per account too
        issue(big, make_user(), year=2027 - extra)
    many = _queries(day)
    # Twice the residences, fifteen times the accounts, four times the calls: the
    # residences are read once, then the same queries for each.
    assert many <= 1 + 2 * (one - 1)
    assert Reminder.objects.filter(account__residence=big).count() >= 30


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_time_send_once(world, calls):
    """Two workers running the job at once: each step is recorded and notified
    once, whichever commits first."""
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(reminders.send_daily("2027-01-11"))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results) == [0, 3]
    assert Reminder.objects.count() == 3
    assert Notification.objects.filter(recipient=world.user("owner")).count() == 1
