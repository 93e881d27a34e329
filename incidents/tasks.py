"""Thin Celery adapters for incidents and requests: ids in, idempotent."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from copro.lib.emails import send_templated_email

from .models import QuoteRequest


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_quote_request(quote_request_id: int) -> bool:
    """Email the provider the resident's request for a quote (once)."""
    quote = (
        QuoteRequest.objects.select_related("ticket__residence__syndic", "provider")
        .filter(pk=quote_request_id)
        .first()
    )
    if quote is None or not quote.provider.email:
        return False
    send_templated_email(
        "quote_request",
        to=[quote.provider.email],
        language="fr",
        context={"quote": quote, "ticket": quote.ticket, "today": timezone.localdate()},
    )
    return True


@shared_task
def expire_delegations() -> int:
    """Beat, daily: delegations past their end lose their object permissions."""
    from .sharing import expire_delegations as expire

    return expire()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_delegation_invitation(delegation_id: int) -> None:
    """Email a delegate named by address (retried while the mail server is down; the
    delegation stands meanwhile)."""
    from .sharing import delegation_invitation_send

    delegation_invitation_send(delegation_id)
