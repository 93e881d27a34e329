"""Reads about residence life, scoped by the reader's standing."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from residents.access import Standing

from .models import Announcement


def announcements_for(standing: Standing) -> QuerySet[Announcement]:
    """Published, unexpired announcements this member may read; pinned first."""
    now = timezone.now()
    return (
        Announcement.objects.filter(
            residence=standing.residence,
            audience__in=standing.audiences(),
            publish_at__lte=now,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("author", "residence")
        .order_by("-pinned", "-publish_at", "-pk")
    )


def announcements_to_manage(standing: Standing) -> QuerySet[Announcement]:
    """Every announcement of the residence (scheduled and expired too), for editors."""
    return Announcement.objects.filter(residence=standing.residence).order_by(
        "-publish_at", "-pk"
    )
