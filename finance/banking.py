"""Bank transfers and cheques: bank statements imported and matched to co-owners,
the syndic's review of each line, and payments typed in by hand.

Every payment reaches the ledger through `entry_post` with a unique `source_ref`
("bank:<line pk>", "manual:<form token>"), and the rows that decide are locked: a
double click, a second import of the same file or a retried request never posts
anything twice. Reads come first, scoped to one residence; then the writes.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notify
from residents.models import Category, Residence, User

from . import statements
from .bank_matching import (
    HAND_AFTER,
    HAND_BEFORE,
    MANUAL_PREFIX,
    SPACES,
    matcher_for,
    referenced,
)
from .models import (
    Account,
    BankImport,
    BankLine,
    BankLineStatus,
    Entry,
    EntryKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from .services import entry_post

BATCH = 500  # rows per INSERT when a statement is queued
TO_REVIEW = "todo"  # the queue's default filter: unmatched and proposed lines
MANUAL_METHODS = (PaymentMethod.TRANSFER, PaymentMethod.CHEQUE)

# -------------------------------------------------------------------- reads


def lines_of(residence: Residence, status: str = TO_REVIEW) -> QuerySet[BankLine]:
    """The residence's statement lines with a status (or TO_REVIEW, or "all"):
    those to review oldest first, the others newest first."""
    lines = BankLine.objects.filter(residence=residence).select_related(
        "account__owner"
    )
    if status == TO_REVIEW:
        lines = lines.filter(
            status__in=[BankLineStatus.UNMATCHED, BankLineStatus.PROPOSED]
        )
    elif status in BankLineStatus.values:
        lines = lines.filter(status=status)
    if status in (TO_REVIEW, BankLineStatus.UNMATCHED, BankLineStatus.PROPOSED):
        return lines.order_by("booked_on", "pk")
    return lines.order_by("-booked_on", "-pk")


def line_of(residence: Residence, pk: int) -> BankLine | None:
    return BankLine.objects.filter(residence=residence, pk=pk).first()


def status_counts(residence: Residence) -> dict[str, int]:
    """How many lines have each status (one query)."""
    counts = dict.fromkeys(BankLineStatus.values, 0)
    counts.update(
        BankLine.objects.filter(residence=residence)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    counts[TO_REVIEW] = (
        counts[BankLineStatus.UNMATCHED] + counts[BankLineStatus.PROPOSED]
    )
    return counts


def accounts_of(residence: Residence) -> QuerySet[Account]:
    return (
        Account.objects.filter(residence=residence)
        .select_related("owner")
        .order_by("owner__last_name", "owner__first_name", "pk")
    )


def recent_imports(residence: Residence, limit: int = 10) -> list[BankImport]:
    return list(
        BankImport.objects.filter(residence=residence)
        .select_related("imported_by")
        .order_by("-imported_at", "-pk")[:limit]
    )


def recent_manual_payments(residence: Residence, limit: int = 10) -> list[Entry]:
    return list(
        Entry.objects.filter(
            account__residence=residence, source_ref__startswith=MANUAL_PREFIX
        )
        .annotate(received=-F("amount"))
        .select_related("account__owner", "created_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def hand_payments_near(
    residence: Residence, lines: list[BankLine]
) -> dict[int, list[Entry]]:
    """For each line to review, the payments typed in by hand that it may repeat
    (same amount, dates close): one query for the whole page."""
    pending = [line for line in lines if line.status != BankLineStatus.POSTED]
    if not pending:
        return {}
    entries = list(
        Entry.objects.filter(
            account__residence=residence,
            source_ref__startswith=MANUAL_PREFIX,
            amount__in={-line.amount for line in pending},
            on__range=(
                min(line.booked_on for line in pending) - HAND_BEFORE,
                max(line.booked_on for line in pending) + HAND_AFTER,
            ),
        ).select_related("account__owner")
    )
    near = defaultdict(list)
    for line in pending:
        for entry in entries:
            if (
                entry.amount == -line.amount
                and line.booked_on - HAND_BEFORE
                <= entry.on
                <= line.booked_on + HAND_AFTER
            ):
                near[line.pk].append(entry)
    return dict(near)


# ------------------------------------------------------------------- writes


@dataclass(frozen=True)
class ImportReport:
    statement: BankImport
    created: bool  # False: this very file was imported before; nothing changed
    read: int  # transactions read in the file
    new: int  # credit lines added to the queue
    known: int  # credit lines already imported from an earlier statement
    skipped: int  # debits and entries not booked yet: not imported
    proposed: int  # new lines with a co-owner proposed


def statement_import(*, residence: Residence, file, by: User) -> ImportReport:
    """Read a statement file (bytes or an uploaded file) and queue its new credit
    lines, each with the co-owner it most likely pays. Lines already known (by
    fingerprint) are left as they are; the same file imported again changes
    nothing. An unreadable file raises ValidationError and stores nothing."""
    data = file.read() if hasattr(file, "read") else file
    name = getattr(file, "name", "") or _("statement")
    parsed = statements.parse(data)
    digest = hashlib.sha256(data).hexdigest()
    credits = parsed.credits
    read = len(parsed.lines) + parsed.not_booked
    skipped = read - len(credits)
    with transaction.atomic():
        # One import at a time per residence: the checks below decide the writes.
        list(
            Residence.objects.select_for_update(no_key=True)
            .filter(pk=residence.pk)
            .values_list("pk", flat=True)
        )
        previous = BankImport.objects.filter(residence=residence, sha256=digest).first()
        if previous is not None:
            return ImportReport(previous, False, read, 0, len(credits), skipped, 0)
        known = set(
            BankLine.objects.filter(
                residence=residence,
                fingerprint__in=[line.fingerprint for line in credits],
            ).values_list("fingerprint", flat=True)
        )
        fresh = [line for line in credits if line.fingerprint not in known]
        matcher = matcher_for(residence, fresh)
        bank_import = BankImport.objects.create(
            residence=residence,
            file_name=name[:255],
            format=parsed.format,
            sha256=digest,
            line_count=read,
            imported_by=by,
        )
        rows = []
        for line in fresh:
            account_id = matcher.propose(line)
            rows.append(
                BankLine(
                    residence=residence,
                    statement=bank_import,
                    fingerprint=line.fingerprint,
                    booked_on=line.booked_on,
                    amount=line.amount,
                    label=line.label[:500],
                    reference=line.reference[:200],
                    counterparty=line.counterparty[:200],
                    account_id=account_id,
                    status=BankLineStatus.PROPOSED
                    if account_id
                    else BankLineStatus.UNMATCHED,
                )
            )
        # The lock makes conflicts impossible; ignoring them is the last guard.
        BankLine.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
        inserted = list(bank_import.lines.order_by("pk"))
        if inserted:
            BankLine.history.bulk_history_create(
                inserted, batch_size=BATCH, default_user=by
            )
        bank_import.new_count = len(inserted)
        bank_import.save(update_fields=["new_count"])
    return ImportReport(
        statement=bank_import,
        created=True,
        read=read,
        new=len(inserted),
        known=len(credits) - len(fresh),
        skipped=skipped,
        proposed=sum(1 for line in inserted if line.account_id),
    )


def _locked(pk: int) -> BankLine:
    return BankLine.objects.select_for_update(of=("self",)).get(pk=pk)


def _notify_received(residence: Residence, account: Account, amount: Decimal) -> None:
    notify(
        recipients=[account.owner_id],
        category=Category.CHARGES,
        template="payment_received",
        context={"residence": residence.name, "amount": str(amount)},
        url=reverse("finance:account", args=[residence.slug]),
        residence=residence,
    )


def _referenced_calls(residence: Residence, line: BankLine, account: Account):
    """The calls of `account` whose notice reference the line quotes."""
    text = f"{line.label} {line.reference}"
    if residence.slug.lower() not in SPACES.sub("", text).lower():
        return []
    pairs = {
        (call_id, account.pk)
        for call_id in account.entries.filter(kind=EntryKind.CALL).values_list(
            "call_id", flat=True
        )
    }
    return sorted(call for call, _account in referenced(text, residence.slug, pairs))


def _post(line: BankLine, account: Account, by: User, residence: Residence) -> Payment:
    if account.residence_id != line.residence_id:
        raise ValidationError(_("Choose a co-owner account of this residence."))
    payment = _payment_received(account, line.amount, PaymentMethod.TRANSFER, by)
    if calls := _referenced_calls(residence, line, account):
        payment.calls.set(calls)
    entry_post(
        account=account,
        kind=EntryKind.PAYMENT,
        amount=-line.amount,
        label=_("Bank transfer received"),
        on=line.booked_on,
        by=by,
        source_ref=f"bank:{line.pk}",
    )
    line.status = BankLineStatus.POSTED
    line.account = account
    line.payment = payment
    line.reviewed_by = by
    line.reviewed_at = payment.created_at
    line._history_user = by
    line.save(
        update_fields=["status", "account", "payment", "reviewed_by", "reviewed_at"]
    )
    _notify_received(residence, account, line.amount)
    return payment


@transaction.atomic
def line_post(*, line: BankLine, account: Account, by: User) -> Payment:
    """Post a statement line to a co-owner's account: a received transfer and its
    ledger entry. The line is locked: a second click finds it posted and returns
    the same payment, whatever account it names."""
    line = _locked(line.pk)
    if line.status == BankLineStatus.POSTED:
        return line.payment
    return _post(line, account, by, line.residence)


@transaction.atomic
def proposed_lines_post(*, residence: Residence, by: User) -> int:
    """Post every proposed line to the account proposed (after the syndic's
    review); returns how many were posted. Lines are locked in a fixed order."""
    lines = list(
        BankLine.objects.select_for_update(of=("self",))
        .filter(
            residence=residence,
            status=BankLineStatus.PROPOSED,
            account__isnull=False,
        )
        .select_related("account")
        .order_by("pk")
    )
    for line in lines:
        _post(line, line.account, by, residence)
    return len(lines)


@transaction.atomic
def line_ignore(*, line: BankLine, by: User) -> BankLine:
    """Take a line out of the queue (not a co-owner's payment: a refund, an
    insurer…). A posted line cannot be ignored (correct its entry instead)."""
    line = _locked(line.pk)
    if line.status == BankLineStatus.POSTED:
        raise ValidationError(_("This line is posted: it can no longer be ignored."))
    if line.status != BankLineStatus.IGNORED:
        line.status = BankLineStatus.IGNORED
        line.reviewed_by = by
        line.reviewed_at = timezone.now()
        line._history_user = by
        line.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    return line


@transaction.atomic
def manual_payment_record(
    *,
    account: Account,
    amount: Decimal,
    method: str,
    on: date,
    reference: str,
    by: User,
    token: uuid.UUID,
) -> Payment | None:
    """Record a transfer or a cheque received, typed in by the syndic. `token`
    comes from the form: the same form sent twice records one payment (the second
    time returns None)."""
    if method not in MANUAL_METHODS:
        raise ValidationError({"method": _("Choose a bank transfer or a cheque.")})
    if amount <= 0:
        raise ValidationError({"amount": _("The amount must be positive.")})
    if on > timezone.localdate():
        raise ValidationError({"on": _("The date cannot be in the future.")})
    # Sends of one form wait for each other here, then see the first one's entry.
    account = (
        Account.objects.select_for_update(of=("self",))
        .select_related("residence")
        .get(pk=account.pk)
    )
    source_ref = f"{MANUAL_PREFIX}{token}"
    if Entry.objects.filter(source_ref=source_ref).exists():
        return None
    payment = _payment_received(account, amount, method, by)
    label = str(PaymentMethod(method).label)
    if reference.strip():
        label = f"{label} · {' '.join(reference.split())}"
    entry = entry_post(
        account=account,
        kind=EntryKind.PAYMENT,
        amount=-amount,
        label=label[:200],
        on=on,
        by=by,
        source_ref=source_ref,
    )
    if entry.account_id != account.pk or entry.amount != -amount:
        # The same form sent at once for another account: refused, rolled back.
        raise ValidationError(_("This form was already sent."))
    _notify_received(account.residence, account, amount)
    return payment


def _payment_received(account: Account, amount, method: str, by: User) -> Payment:
    """A payment the syndic has received (by transfer or cheque): saved as such."""
    now = timezone.now()
    payment = Payment(
        account=account,
        amount=amount,
        method=method,
        status=PaymentStatus.SUCCEEDED,
        minute=now.replace(second=0, microsecond=0),
        created_at=now,
        succeeded_at=now,
        created_by=by,
    )
    payment.full_clean(validate_constraints=False)
    payment._history_user = by
    payment.save()
    return payment
