"""Notifying people. Every feature calls `notify()`; delivery happens in Celery tasks.

    notify(recipients=…, residence=…, category=Category.NEWS, template="news_published",
           context={"title": …}, url=…, urgent=False)

`template` names `templates/notifications/<template>_title.txt` and `_body.txt`,
rendered in each recipient's language. Channels follow each recipient's preferences
for the category; urgent notifications are always shown in the app, and only urgent
ones go out by SMS (to a verified number).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from copro.lib.emails import send_templated_email
from residents.models import Category, CommunicationPreference, User

from .models import Channel, Delivery, DeliveryStatus, Digest, Notification


def notify(
    *,
    recipients: Iterable[User] | Iterable[int],
    category: str,
    template: str,
    context: dict,
    url: str = "",
    residence=None,
    urgent: bool = False,
) -> uuid.UUID:
    """Queue one event for `recipients`: a single task fans it out after commit."""
    from .tasks import fan_out

    Category(category)  # refuses an undeclared category
    ids = sorted({r if isinstance(r, int) else r.pk for r in recipients})
    event = uuid.uuid4()
    payload = {
        "event": str(event),
        "recipient_ids": ids,
        "residence_id": getattr(residence, "pk", residence),
        "category": category,
        "template": template,
        "context": context,
        "url": url,
        "urgent": urgent,
    }
    transaction.on_commit(lambda: fan_out.delay(payload))
    return event


def _render(template: str, context: dict, language: str) -> tuple[str, str]:
    with translation.override(language):
        title = render_to_string(
            f"notifications/{template}_title.txt", context, using="text"
        )
        body = render_to_string(
            f"notifications/{template}_body.txt", context, using="text"
        )
    return " ".join(title.split())[:200], body.strip()


@transaction.atomic
def fan_out_event(payload: dict) -> list[int]:
    """Create each recipient's notification and deliveries in bulk; return the ids of
    the deliveries to send. Running it twice for one event creates nothing new."""
    category, urgent = payload["category"], payload["urgent"]
    users = User.objects.filter(pk__in=payload["recipient_ids"], is_active=True).only(
        "pk", "language", "phone", "phone_verified", "email_digest"
    )
    preferences = {
        p.user_id: p
        for p in CommunicationPreference.objects.filter(
            user_id__in=payload["recipient_ids"], category=category
        )
    }
    rendered: dict[str, tuple[str, str]] = {}
    notifications = []
    for user in users:
        language = user.language or "fr"
        if language not in rendered:
            rendered[language] = _render(
                payload["template"], payload["context"], language
            )
        title, body = rendered[language]
        preference = preferences.get(user.pk)
        wants_email = preference.email if preference else True
        notifications.append(
            Notification(
                digest_pending=wants_email and user.email_digest and not urgent,
                event=payload["event"],
                recipient=user,
                residence_id=payload["residence_id"],
                category=category,
                urgent=urgent,
                title=title,
                body=body,
                url=payload["url"],
                in_app=urgent or preference is None or preference.in_app,
            )
        )
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    created = Notification.objects.filter(event=payload["event"]).select_related(
        "recipient"
    )
    deliveries = []
    for notification in created:
        user = notification.recipient
        preference = preferences.get(user.pk)
        wants_email = preference.email if preference else True
        wants_sms = preference.sms if preference else False
        channels = []
        if wants_email and not notification.digest_pending:
            channels.append(Channel.EMAIL)
        if urgent and wants_sms and user.phone and user.phone_verified:
            channels.append(Channel.SMS)
        deliveries += [
            Delivery(
                notification=notification,
                channel=channel,
                key=f"{notification.pk}:{channel}",
            )
            for channel in channels
        ]
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return list(
        Delivery.objects.filter(
            notification__event=payload["event"], status="pending"
        ).values_list("pk", flat=True)
    )


def mark_read(*, user: User, notification_id: int) -> int:
    return Notification.objects.filter(
        recipient=user, pk=notification_id, read_at__isnull=True
    ).update(read_at=timezone.now())


def mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def send_daily_digests(*, day=None) -> int:
    """Cron, daily: one summary email per person with pending notifications."""
    day = day or timezone.localdate()
    recipients = (
        Notification.objects.filter(digest_pending=True)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    for recipient_id in list(recipients):
        with transaction.atomic():
            try:
                with transaction.atomic():
                    digest = Digest.objects.create(recipient_id=recipient_id, day=day)
            except IntegrityError:
                continue  # today's summary already went out
            pending = list(
                Notification.objects.select_for_update(of=("self",))
                .filter(recipient_id=recipient_id, digest_pending=True)
                .select_related("recipient", "residence")
                .order_by("created_at")
            )
            user = pending[0].recipient
            try:
                send_templated_email(
                    "digest",
                    to=[user.email],
                    language=user.language,
                    context={"notifications": pending, "day": day},
                )
            except Exception as exc:  # noqa: BLE001 — recorded, retried tomorrow
                digest.status = DeliveryStatus.FAILED
                digest.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                digest.save(update_fields=["status", "last_error"])
                continue
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
                digest_pending=False
            )
            digest.status = DeliveryStatus.SENT
            digest.notification_count = len(pending)
            digest.save(update_fields=["status", "notification_count"])
            sent += 1
    return sent
