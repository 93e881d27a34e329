"""Online payment with Stripe Checkout: what a co-owner may pay, the checkout, and
the verified webhook that alone posts the payment to the ledger.

Reads are scoped by the `Standing`; writes are atomic. A payment is posted once
whatever Stripe sends, however often and in whatever order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notify
from residents.access import Standing
from residents.models import Category, User

from . import stripe_client
from .allocation import oldest_first
from .models import (
    Account,
    Entry,
    EntryKind,
    FundCall,
    Payment,
    PaymentMethod,
    PaymentStatus,
    StripeEvent,
)
from .services import entry_post

MINIMUM = Decimal("0.50")  # Stripe refuses smaller euro charges
SESSION_LIFETIME = timedelta(hours=1)
REUSE_WITHIN = timedelta(minutes=50)  # a session is reused while well alive

# ---------------------------------------------------------------- reads


@dataclass(frozen=True)
class Due:
    call: FundCall
    amount: Decimal  # what remains to pay on it


def payer_account(standing: Standing) -> Account | None:
    """The account a member pays from: co-owners only."""
    if not standing.is_owner:
        return None
    return Account.objects.filter(
        residence=standing.residence, owner=standing.user
    ).first()


def unpaid_calls(account: Account) -> list[Due]:
    """The account's calls not yet covered by its credits, oldest due first
    (credits pay the oldest calls first). Two queries."""
    credit = -(
        account.entries.filter(amount__lt=0).aggregate(total=Sum("amount"))["total"]
        or Decimal("0")
    )
    calls = (
        account.entries.filter(kind=EntryKind.CALL)
        .select_related("call")
        .order_by("due_on", "pk")
    )
    return [
        Due(call=entry.call, amount=left) for entry, left in oldest_first(calls, credit)
    ]


def balance_owed(account: Account) -> Decimal:
    total = account.entries.aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0.00")


def payment_of(standing: Standing, pk: int) -> Payment | None:
    """One of the member's own payments (nobody else's, even the syndic's view
    of it goes through the back office)."""
    return (
        Payment.objects.filter(
            pk=pk, account__residence=standing.residence, account__owner=standing.user
        )
        .select_related("account")
        .first()
    )


def recent_payments(account: Account, limit: int = 10) -> list[Payment]:
    return list(account.payments.order_by("-created_at", "-pk")[:limit])


# --------------------------------------------------------------- writes


def _urls(payment: Payment) -> tuple[str, str]:
    slug = payment.account.residence.slug
    base = settings.SITE_URL.rstrip("/")
    done = reverse("finance:pay_done", args=[slug, payment.pk])
    cancel = reverse("finance:pay", args=[slug])
    return f"{base}{done}", f"{base}{cancel}?cancelled={payment.pk}"


@transaction.atomic
def checkout_start(
    *, account: Account, by: User, whole: bool, call_ids: list[int]
) -> Payment:
    """A pending payment and its Stripe Checkout Session: the whole balance, or the
    chosen unpaid calls. A double click reuses the open payment (the account row is
    locked while deciding), and Stripe sees the payment id as idempotency key."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    dues = unpaid_calls(account)
    if whole:
        amount, calls = balance_owed(account), [due.call for due in dues]
    else:
        chosen = [due for due in dues if due.call.pk in set(call_ids)]
        if not chosen:
            raise ValidationError(_("Choose the calls to pay, or the whole balance."))
        amount = sum((due.amount for due in chosen), Decimal("0.00"))
        calls = [due.call for due in chosen]
    if amount <= 0:
        raise ValidationError(_("There is nothing to pay: your account is settled."))
    if amount < MINIMUM:
        raise ValidationError(
            _("Online payment starts at %(minimum)s €.") % {"minimum": MINIMUM}
        )
    now = timezone.now()
    open_payment = (
        account.payments.filter(
            status=PaymentStatus.PENDING,
            amount=amount,
            created_at__gte=now - REUSE_WITHIN,
        )
        .exclude(stripe_session_url="")
        .order_by("-created_at")
        .first()
    )
    if open_payment is not None:
        return open_payment
    payment = Payment(
        account=account,
        amount=amount,
        method=PaymentMethod.CARD,
        minute=now.replace(second=0, microsecond=0),
        created_at=now,
        created_by=by,
    )
    payment.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:  # the same payment, asked again within the minute
        return Payment.objects.get(
            account=account,
            amount=amount,
            minute=payment.minute,
            status=PaymentStatus.PENDING,
        )
    payment.calls.set(calls)
    success_url, cancel_url = _urls(payment)
    try:
        session_id, session_url = stripe_client.checkout_session_create(
            payment_id=payment.pk,
            amount=amount,
            label=_("Charges %(residence)s") % {"residence": account.residence.name},
            email=by.email,
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=now + SESSION_LIFETIME,
        )
    except stripe_client.StripeError as error:
        # Rolls the pending payment back with the transaction.
        raise ValidationError(
            _("Online payment is unavailable right now. Please try again later.")
        ) from error
    payment.stripe_session_id = session_id
    payment.stripe_session_url = session_url
    payment.save(update_fields=["stripe_session_id", "stripe_session_url"])
    return payment


HANDLED = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
}


@transaction.atomic
def stripe_event_handle(event: dict) -> bool:
    """Record a verified event by its id and act on it, once: a delivery already
    recorded does nothing (returns False). Unknown types are recorded, ignored."""
    try:
        with transaction.atomic():
            record = StripeEvent.objects.create(
                event_id=event["id"], type=event.get("type", ""), payload=event
            )
    except IntegrityError:
        return False
    if record.type in HANDLED:
        _session_event(record.type, event["data"]["object"])
    record.processed_at = timezone.now()
    record.save(update_fields=["processed_at"])
    return True


def _session_event(kind: str, session: dict) -> None:
    payment_id = (session.get("metadata") or {}).get("payment_id") or session.get(
        "client_reference_id"
    )
    if not str(payment_id or "").isdigit():
        return
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .filter(pk=int(payment_id), stripe_session_id=session.get("id"))
        .select_related("account__residence")
        .first()
    )
    if payment is None:
        return  # not one of ours: ignored
    intent = session.get("payment_intent")
    if intent and not payment.stripe_payment_intent:
        payment.stripe_payment_intent = intent
        payment.save(update_fields=["stripe_payment_intent"])
    if kind == "checkout.session.completed":
        if session.get("payment_status") == "paid":
            _succeed(payment, session)
        elif payment.status == PaymentStatus.PENDING:
            # SEPA: the debit is confirmed days later by async_payment_succeeded.
            payment.method = PaymentMethod.SEPA
            payment.save(update_fields=["method"])
    elif kind == "checkout.session.async_payment_succeeded":
        payment.method = PaymentMethod.SEPA
        _succeed(payment, session)
    elif payment.status == PaymentStatus.PENDING:  # async_payment_failed
        payment.status = PaymentStatus.FAILED
        payment.save(update_fields=["status"])
    # A failure reported after the success does not undo a payment received.


def _succeed(payment: Payment, session: dict) -> None:
    if payment.status == PaymentStatus.SUCCEEDED:
        return
    if session.get("amount_total") not in (None, stripe_client.cents(payment.amount)):
        return  # not the amount asked for: left pending for the syndic to check
    ref = payment.stripe_payment_intent or payment.stripe_session_id
    entry_post(
        account=payment.account,
        kind=EntryKind.PAYMENT,
        amount=-payment.amount,
        label=_("Online payment"),
        source_ref=f"stripe:{ref}",
    )
    payment.status = PaymentStatus.SUCCEEDED
    payment.succeeded_at = timezone.now()
    payment.full_clean(validate_constraints=False)
    payment.save(update_fields=["status", "succeeded_at", "method"])
    residence = payment.account.residence
    notify(
        recipients=[payment.account.owner_id],
        category=Category.CHARGES,
        template="payment_received",
        context={"residence": residence.name, "amount": str(payment.amount)},
        url=reverse("finance:account", args=[residence.slug]),
        residence=residence,
    )


def payment_entry(payment: Payment) -> Entry | None:
    ref = payment.stripe_payment_intent or payment.stripe_session_id
    return Entry.objects.filter(source_ref=f"stripe:{ref}").first()
