"""The formal notice to pay (*mise en demeure*): one A4 PDF per co-owner and day it
was sent, rendered on demand from the ledger (shared DOMAIN.md §5).

It claims only what was due on the day it was sent (calls due that day or before,
still unpaid), separating the provisions on the current budget, the works and other
provisions outside the budget, the fonds de travaux contributions and the arrears of
previous years. Calls not yet due are listed apart, as a warning, and the notice
states the consequence of art. 19-2 of the loi of 10 July 1965: 30 days after it,
the year's remaining provisions become due at once.

The figures are those of the day it was sent: the credits counted are those dated
that day or before (they pay the oldest calls first), so downloading it again later
shows the same notice. Styled by static/css/formal_notice.css; WeasyPrint's URL
fetcher refuses every address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.lib.pdf import render_pdf
from residents.access import Perm, Standing

from .allocation import oldest_first, split, to_cents
from .models import CallKind, CallShare, Entry, EntryKind, Reminder, ReminderStep
from .notices import owned_lot_ids

STYLESHEET = "css/formal_notice.css"
ACCELERATION_DAYS = 30  # loi 65-557 art. 19-2

CURRENT, WORKS, FUND, ARREARS = "current", "works", "fund", "arrears"


@dataclass
class Line:
    label: str
    due_on: date
    amount: Decimal


@dataclass
class Section:
    key: str
    title: str
    lines: list[Line] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def formal_notice_of(standing: Standing, reminder_id: int) -> Reminder | None:
    """A formal notice the member may download: the syndic any of the residence's,
    a co-owner their own, nobody else any (one query)."""
    reminders = Reminder.objects.filter(
        pk=reminder_id,
        step=ReminderStep.FORMAL,
        account__residence=standing.residence,
    ).select_related("account__owner", "account__residence__syndic")
    if standing.can(Perm.MANAGE_FINANCE):
        return reminders.first()
    if standing.is_owner:
        return reminders.filter(account__owner=standing.user).first()
    return None


def fiscal_year(call) -> int:
    return call.budget.year if call.budget_id else call.due_on.year


def due_date(entry: Entry) -> date:
    return entry.due_on or entry.call.due_on


def _unpaid_as_of(account, as_of: date) -> list[tuple[Entry, Decimal]]:
    """Each call entry of the account with what remained unpaid of it on `as_of`
    (credits dated that day or before, oldest calls first); two queries."""
    credit = -(
        account.entries.filter(amount__lt=0, on__lte=as_of).aggregate(
            total=Sum("amount")
        )["total"]
        or Decimal("0")
    )
    entries = (
        account.entries.filter(kind=EntryKind.CALL)
        .select_related("call__budget")
        .order_by("due_on", "pk")
    )
    return oldest_first(entries, credit)


def _fund_parts(account, entries: list[Entry]) -> dict[int, tuple[int, int]]:
    """Per call: (provision cents, fonds de travaux cents) of the account's share,
    from the call's shares on the co-owner's lots; the whole call's proportion when
    those lots no longer add up to the entry (lots sold since). Three queries."""
    if not entries:
        return {}
    lots = owned_lot_ids(account)
    mine = Q(lot_id__in=lots)
    rows = (
        CallShare.objects.filter(call_id__in=[e.call_id for e in entries])
        .values("call_id")
        .annotate(
            mine=Sum("amount", filter=mine),
            mine_fund=Sum("amount", filter=mine & Q(works_fund=True)),
            all=Sum("amount"),
            all_fund=Sum("amount", filter=Q(works_fund=True)),
        )
    )
    figures = {row["call_id"]: row for row in rows}
    parts = {}
    for entry in entries:
        row = figures.get(entry.call_id)
        if row is None:
            parts[entry.call_id] = (to_cents(entry.amount), 0)
            continue
        zero = Decimal("0")
        if (row["mine"] or zero) == entry.amount:
            total, fund = row["mine"], row["mine_fund"] or zero
        else:
            total, fund = row["all"] or zero, row["all_fund"] or zero
        parts[entry.call_id] = (to_cents(total - fund), to_cents(fund))
    return parts


def notice_context(reminder: Reminder) -> dict:
    """What the notice shows (five queries). `reminder` comes with its account, the
    owner, the residence and its syndic (`formal_notice_of`)."""
    account, sent_on = reminder.account, reminder.sent_on
    residence = account.residence
    unpaid = _unpaid_as_of(account, sent_on)
    due = [(e, left) for e, left in unpaid if due_date(e) <= sent_on]
    upcoming = [(e, left) for e, left in unpaid if due_date(e) > sent_on]
    year = sent_on.year
    current = [
        e
        for e, _left in due
        if e.call.kind == CallKind.PROVISION and fiscal_year(e.call) == year
    ]
    parts = _fund_parts(account, current)
    sections = {
        CURRENT: Section(
            CURRENT,
            _("Provisions on the budget of %(year)s") % {"year": year},
        ),
        FUND: Section(FUND, _("Contributions to the fonds de travaux")),
        WORKS: Section(WORKS, _("Works and other provisions outside the budget")),
        ARREARS: Section(ARREARS, _("Arrears of previous years")),
    }
    for entry, left in due:
        call, due_on = entry.call, due_date(entry)
        if fiscal_year(call) < year:
            sections[ARREARS].lines.append(Line(call.label, due_on, left))
        elif call.kind == CallKind.WORKS:
            sections[WORKS].lines.append(Line(call.label, due_on, left))
        else:
            # What remains of a partly paid call is split in proportion, to the cent.
            provision, fund = parts[call.pk]
            amounts = split(left, {CURRENT: provision or int(not fund), FUND: fund})
            for key, amount in amounts.items():
                if amount:
                    sections[key].lines.append(Line(call.label, due_on, amount))
    claimed = [s for s in sections.values() if s.lines]
    deadline = sent_on + timedelta(days=ACCELERATION_DAYS)
    accelerable = sum(
        (
            left
            for e, left in upcoming
            if e.call.kind == CallKind.PROVISION and fiscal_year(e.call) == year
        ),
        Decimal("0.00"),
    )
    return {
        "reminder": reminder,
        "account": account,
        "owner": account.owner,
        "residence": residence,
        "sent_on": sent_on,
        "deadline": deadline,
        "sections": claimed,
        "total": sum((s.total for s in claimed), Decimal("0.00")),
        "upcoming": [Line(e.call.label, due_date(e), left) for e, left in upcoming],
        "upcoming_total": sum((left for _e, left in upcoming), Decimal("0.00")),
        "year": year,
        "acceleration": bool(sections[CURRENT].lines or sections[FUND].lines),
        "accelerable": accelerable,
        "reference": reference(reminder),
        "iban": getattr(settings, "COPRO_RESIDENCE_IBAN", "") or "",
        "bic": getattr(settings, "COPRO_RESIDENCE_BIC", "") or "",
        "printed_at": timezone.now(),
    }


def reference(reminder: Reminder) -> str:
    account = reminder.account
    return f"MED-{account.residence.slug}-{account.pk}-{reminder.sent_on:%Y%m%d}"


def notice_pdf(context: dict) -> bytes:
    return render_pdf("finance/pdf/formal_notice.html", context, STYLESHEET)


def pdf_filename(context: dict) -> str:
    return f"mise-en-demeure-{context['reference']}.pdf"
