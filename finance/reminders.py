"""Payment reminders, sent by the daily job (Celery beat, 08:00, see settings).

For each unpaid call of each co-owner account, the residence's `ReminderPolicy`
(its defaults while the syndic has saved none) dates three steps from the due date:
a friendly reminder N days before, a reminder N days after, then the formal notice
(*mise en demeure*, a PDF: finance/formal_notice.py). On a given day the job sends the
latest step whose date has come and that was not sent yet, so a job that did not run
for days sends one step, not a burst of all; an earlier step is never sent after a
later one.

A call fully covered by the account's credits (they pay the oldest calls first,
exactly as `payments.unpaid_calls`) gets nothing more; a partly paid one is reminded
of what remains. Each step sent is a `Reminder` row, unique per account, call and
step: rows are inserted with ON CONFLICT DO NOTHING and only the rows this run
inserted are notified, so running the job twice, even at the same time, sends once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from celery import shared_task
from django.db import connection, transaction
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import formats, timezone

from notifications.services import notify
from residents.models import Category, Residence, User

from .models import Entry, EntryKind, Reminder, ReminderPolicy, ReminderStep

logger = logging.getLogger(__name__)

STEPS = [ReminderStep.FRIENDLY, ReminderStep.LATE, ReminderStep.FORMAL]
RANK = {step: rank for rank, step in enumerate(STEPS)}
MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)

# ---------------------------------------------------------------- rules


def policy_of(residence: Residence) -> ReminderPolicy:
    """The residence's settings, or the defaults (an unsaved row: reading never
    creates one). Uses `residence.reminder_policy` when it was select_related."""
    try:
        policy = residence.reminder_policy
    except ReminderPolicy.DoesNotExist:
        policy = None
    return policy or ReminderPolicy(residence=residence)


def step_dates(policy: ReminderPolicy, due_on: date) -> dict[str, date]:
    """The day each step of a call due on `due_on` may be sent."""
    return {
        ReminderStep.FRIENDLY: due_on - timedelta(days=policy.friendly_days_before),
        ReminderStep.LATE: due_on + timedelta(days=policy.late_days_after),
        ReminderStep.FORMAL: due_on + timedelta(days=policy.formal_days_after),
    }


def step_due(policy: ReminderPolicy, due_on: date, today: date) -> str | None:
    """The latest step whose date has come on `today` (None before the first)."""
    dates = step_dates(policy, due_on)
    for step in reversed(STEPS):
        if today >= dates[step]:
            return step
    return None


# ---------------------------------------------------------------- reads


def unpaid_call_entries(residence: Residence) -> list[Entry]:
    """Every call entry of the residence's accounts that the account's credits do
    not cover, with `unpaid` (what remains of it) set; one query.

    Set-based `payments.unpaid_calls`: an account's credits pay its calls oldest
    first (due date, then id), so what is unpaid of a call is its running total
    minus the credits, capped at its amount."""
    credits = (
        Entry.objects.filter(account=OuterRef("account"), amount__lt=0)
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    entries = (
        Entry.objects.filter(account__residence=residence, kind=EntryKind.CALL)
        .annotate(
            running=Window(
                Sum("amount"),
                partition_by=[F("account_id")],
                order_by=[F("due_on").asc(), F("pk").asc()],
            ),
            # Credits are negative: running + credits is what is still owed.
            left=F("running") + Coalesce(Subquery(credits, output_field=MONEY), ZERO),
        )
        .filter(left__gt=0)
        .select_related("account", "call")
        .order_by("account_id", "due_on", "pk")
    )
    rows = list(entries)
    for entry in rows:
        entry.unpaid = min(entry.amount, entry.left)
    return rows


@dataclass(frozen=True)
class Planned:
    """A step to send for one call of one account."""

    entry: Entry
    step: str

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.entry.account_id, self.entry.call_id, self.step)


def reminders_due(
    residence: Residence, policy: ReminderPolicy, today: date
) -> tuple[list[Planned], list[Entry]]:
    """The steps to send on `today`, and every unpaid call entry (two queries at
    most). Nothing while the policy is disabled."""
    if not policy.enabled:
        return [], []
    unpaid = unpaid_call_entries(residence)
    wanted = []
    for entry in unpaid:
        step = step_due(policy, entry.due_on or entry.call.due_on, today)
        if step is not None:
            wanted.append(Planned(entry, step))
    if not wanted:
        return [], unpaid
    sent: dict[tuple[int, int], int] = {}
    rows = Reminder.objects.filter(
        account__residence=residence, call_id__in={p.entry.call_id for p in wanted}
    ).values_list("account_id", "call_id", "step")
    for account_id, call_id, step in rows:
        key = (account_id, call_id)
        sent[key] = max(sent.get(key, -1), RANK[step])
    planned = [
        p
        for p in wanted
        if sent.get((p.entry.account_id, p.entry.call_id), -1) < RANK[p.step]
    ]
    return planned, unpaid


# --------------------------------------------------------------- writes


_INSERT = """
INSERT INTO {table} (account_id, call_id, step, amount, sent_on, created_at)
SELECT t.account_id, t.call_id, t.step, t.amount, %s, %s
FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::numeric[])
    AS t(account_id, call_id, step, amount)
ON CONFLICT (account_id, call_id, step) DO NOTHING
RETURNING id, account_id, call_id, step
"""


def reminders_record(planned: list[Planned], today: date) -> dict[tuple, int]:
    """Insert one `Reminder` per planned step, in one statement; return the ids of
    the rows this call inserted, by (account, call, step). A row already there
    (sent by an earlier or a concurrent run) is left alone and not returned: the
    unique constraint decides who sends."""
    if not planned:
        return {}
    rows = [
        (p.entry.account_id, p.entry.call_id, p.step, p.entry.unpaid) for p in planned
    ]
    columns = [list(column) for column in zip(*rows, strict=True)]
    sql = _INSERT.format(table=connection.ops.quote_name(Reminder._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [today, timezone.now(), *columns])
        return {(a, c, s): pk for pk, a, c, s in cursor.fetchall()}


@transaction.atomic
def reminders_send(
    *, residence: Residence, today: date, policy: ReminderPolicy | None = None
) -> int:
    """Record and notify the steps due on `today` in one residence; returns how many
    reminders were recorded (a constant number of queries however many accounts
    and calls). Co-owners are notified after commit, once per step, all their calls
    reminded at that step together."""
    policy = policy or policy_of(residence)
    planned, unpaid = reminders_due(residence, policy, today)
    inserted = reminders_record(planned, today)
    if not inserted:
        return 0
    claimed: dict[int, Decimal] = defaultdict(Decimal)  # what is due, per account
    for entry in unpaid:
        if (entry.due_on or entry.call.due_on) <= today:
            claimed[entry.account_id] += entry.unpaid
    groups: dict[tuple[int, str], list[Planned]] = defaultdict(list)
    for p in planned:
        if p.key in inserted:
            groups[(p.entry.account_id, p.step)].append(p)
    for (account_id, step), mine in groups.items():
        first = mine[0]
        context = {
            "residence": residence.name,
            "step": step,
            "count": len(mine),
            "label": first.entry.call.label,
            "due_on": formats.date_format(first.entry.due_on, "d/m/Y"),
            "amount": f"{first.entry.unpaid:.2f}",
            "total": f"{sum(p.entry.unpaid for p in mine):.2f}",
            "claimed": f"{claimed[account_id]:.2f}",
        }
        if step == ReminderStep.FORMAL:
            url = reverse(
                "finance:formal_notice", args=[residence.slug, inserted[first.key]]
            )
        else:
            url = reverse("finance:account", args=[residence.slug])
        notify(
            recipients=[first.entry.account.owner_id],
            category=Category.CHARGES,
            template=f"payment_reminder_{step}",
            context=context,
            url=url,
            residence=residence,
        )
    return len(inserted)


@shared_task
def send_daily(today: str | None = None) -> int:
    """The daily job: every residence's reminders for `today` (ISO date, default
    the local date). Idempotent: a second run the same day sends nothing. Returns
    how many reminders were recorded. A residence that fails is logged and the
    others still get theirs (tomorrow's run catches up with the latest step)."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    recorded = 0
    residences = Residence.objects.select_related("reminder_policy").order_by("pk")
    for residence in residences:
        policy = policy_of(residence)
        if not policy.enabled:
            continue
        try:
            recorded += reminders_send(residence=residence, today=day, policy=policy)
        except Exception:
            logger.exception("Reminders failed for residence %s", residence.pk)
    return recorded


@transaction.atomic
def reminder_policy_save(
    *,
    residence: Residence,
    by: User,
    enabled: bool,
    friendly_days_before: int,
    late_days_after: int,
    formal_days_after: int,
    council_sees_debtors: bool,
) -> ReminderPolicy:
    """The syndic's reminder settings for the residence (created on first save)."""
    policy = ReminderPolicy.objects.select_for_update().filter(
        residence=residence
    ).first() or ReminderPolicy(residence=residence)
    policy.enabled = enabled
    policy.friendly_days_before = friendly_days_before
    policy.late_days_after = late_days_after
    policy.formal_days_after = formal_days_after
    policy.council_sees_debtors = council_sees_debtors
    policy.full_clean()
    policy._history_user = by
    policy.save()
    return policy


def reminders_sent(residence: Residence):
    """The residence's reminders, newest first, with the co-owner and the call."""
    return (
        Reminder.objects.filter(account__residence=residence)
        .select_related("account__owner", "call")
        .order_by("-sent_on", "-pk")
    )
