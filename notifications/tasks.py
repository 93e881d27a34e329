"""Delivery tasks: idempotent, retried with backoff, failures recorded, never silent."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from copro.lib.emails import send_templated_email
from copro.lib.sms import send_sms

from . import realtime
from .models import Channel, Delivery, DeliveryStatus, Notification
from .services import fan_out_event, send_daily_digests

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def fan_out(payload: dict) -> int:
    """One task per event: create every recipient's entries, tell their open pages,
    queue their deliveries."""
    delivery_ids = fan_out_event(payload)
    transaction.on_commit(lambda: _announce(payload))
    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)
    return len(delivery_ids)


def _announce(payload: dict) -> int:
    """Push to the open pages of everyone who got an entry in their notification
    centre (a run repeated for the same event only makes pages re-read their badge)."""
    if not realtime.enabled():
        return 0
    recipients = Notification.objects.filter(
        event=payload["event"], in_app=True
    ).values_list("recipient_id", flat=True)
    return realtime.publish(
        recipients,
        {
            "event": payload["event"],
            "category": payload["category"],
            "urgent": payload["urgent"],
        },
    )


def _claim(delivery_id: int) -> Delivery | None:
    """Mark the delivery as being sent, unless another run already sent or holds it."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True)
            .select_related("notification__recipient")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return None
        delivery.status = DeliveryStatus.SENDING
        delivery.attempts += 1
        delivery.save(update_fields=["status", "attempts", "updated_at"])
    return delivery


def _send(delivery: Delivery) -> str:
    notification = delivery.notification
    user = notification.recipient
    if delivery.channel == Channel.SMS:
        link = f" {settings.SITE_URL}{notification.url}" if notification.url else ""
        return send_sms(user.phone, f"{notification.title}{link}")
    send_templated_email(
        "notification",
        to=[user.email],
        language=user.language,
        context={"notification": notification},
    )
    return ""


@shared_task(bind=True, max_retries=MAX_ATTEMPTS - 1)
def deliver(self, delivery_id: int) -> str:
    delivery = _claim(delivery_id)
    if delivery is None:
        return "skipped"  # already sent, being sent, or given up: never twice
    try:
        provider_id = _send(delivery)
    except Exception as exc:  # noqa: BLE001 — any provider failure is recorded
        final = self.request.is_eager or delivery.attempts >= MAX_ATTEMPTS
        delivery.status = DeliveryStatus.FAILED if final else DeliveryStatus.PENDING
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        delivery.save(update_fields=["status", "last_error", "updated_at"])
        logger.warning(
            "Delivery %s failed (attempt %s): %s", delivery.key, delivery.attempts, exc
        )
        if final:
            return "failed"
        raise self.retry(exc=exc, countdown=30 * 2 ** (delivery.attempts - 1)) from exc
    delivery.status = DeliveryStatus.SENT
    delivery.provider_id = provider_id or ""
    delivery.last_error = ""
    delivery.save(update_fields=["status", "provider_id", "last_error", "updated_at"])
    return "sent"


@shared_task
def daily_digests() -> int:
    """Beat, every morning: the daily summary emails."""
    return send_daily_digests()
