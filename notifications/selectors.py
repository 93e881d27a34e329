from __future__ import annotations

from django.db.models import QuerySet

from .models import Notification


def inbox(user) -> QuerySet[Notification]:
    """A person's in-app notifications, newest first, with their residence."""
    return (
        Notification.objects.filter(recipient=user, in_app=True)
        .select_related("residence")
        .order_by("-created_at", "-pk")
    )


def unread_count(user) -> int:
    return Notification.objects.filter(
        recipient=user, in_app=True, read_at__isnull=True
    ).count()


def latest_unread(user) -> Notification | None:
    return (
        Notification.objects.filter(recipient=user, in_app=True, read_at__isnull=True)
        .only("title")
        .order_by("-created_at", "-pk")
        .first()
    )
