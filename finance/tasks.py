"""Background work of the calls for funds."""

from __future__ import annotations

from celery import shared_task
from django.urls import reverse
from django.utils import formats

from notifications.services import notify
from residents.models import Category

from . import reminders  # noqa: F401 (registers finance.reminders.send_daily)
from .models import Entry, EntryKind, FundCall
from .notice_batch import render_call_notices  # noqa: F401 (for the worker)


@shared_task
def notify_calls_issued(call_ids: list[int]) -> int:
    """Tell each co-owner that calls were issued for them, with a link to their
    notice of the next one (rendered on demand, always exact). One notification per
    co-owner however many instalments; returns how many were sent (two queries plus
    one `notify` per co-owner)."""
    calls = list(
        FundCall.objects.filter(pk__in=call_ids)
        .select_related("residence")
        .order_by("due_on", "pk")
    )
    if not calls:
        return 0
    residence = calls[0].residence
    per_account: dict[int, list[Entry]] = {}
    entries = (
        Entry.objects.filter(call__in=calls, kind=EntryKind.CALL)
        .select_related("account", "call")
        .order_by("account_id", "due_on", "call_id")
    )
    for entry in entries:
        per_account.setdefault(entry.account_id, []).append(entry)
    for mine in per_account.values():
        first = mine[0]
        url = reverse("finance:call_notice", args=[residence.slug, first.call_id])
        notify(
            recipients=[first.account.owner_id],
            category=Category.CHARGES,
            template="call_issued",
            context={
                "residence": residence.name,
                "label": first.call.label,
                "count": len(mine),
                "due_on": formats.date_format(first.due_on, "d/m/Y"),
                "amount": f"{first.amount:.2f}",
                "total": f"{sum(e.amount for e in mine):.2f}",
            },
            url=url,
            residence=residence,
        )
    return len(per_account)
