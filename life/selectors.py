"""Reads about residence life, scoped by the reader's standing."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from residents.access import Perm, Standing

from .models import Announcement, AnnouncementAttachment, CalendarFeed, Event


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


def attachment_for(
    standing: Standing, announcement_id: int, attachment_id: int
) -> AnnouncementAttachment | None:
    """An attachment of an announcement this member may read now, or that they may
    edit (scheduled or expired ones included)."""
    if standing.can(Perm.PUBLISH_NEWS):
        announcements = announcements_to_manage(standing)
    else:
        announcements = announcements_for(standing)
    return (
        AnnouncementAttachment.objects.filter(
            pk=attachment_id,
            announcement_id=announcement_id,
            announcement__in=announcements.values("pk"),
        )
        .only("file", "thumbnail", "original_name", "content_type")
        .first()
    )


def events_for(standing: Standing) -> QuerySet[Event]:
    """The residence's events this member may see (council meetings: council only)."""
    events = Event.objects.filter(residence=standing.residence)
    if "council" not in standing.audiences():
        events = events.filter(council_only=False)
    return events.order_by("starts_at", "pk")


def upcoming_events(standing: Standing) -> QuerySet[Event]:
    return events_for(standing).filter(ends_at__gte=timezone.now())


def events_between(standing: Standing, start, end) -> QuerySet[Event]:
    """Events overlapping [start, end)."""
    return events_for(standing).filter(starts_at__lt=end, ends_at__gt=start)


def live_feed(standing: Standing) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(
        user=standing.user, residence=standing.residence, revoked_at__isnull=True
    ).first()


def feed_by_token(token: str) -> CalendarFeed | None:
    return (
        CalendarFeed.objects.select_related("user", "residence")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
