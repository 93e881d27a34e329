"""Publishing announcements; the audience is notified once, when it is published."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone

from copro.lib.files import FilesWritten, delete_on_commit
from copro.lib.uploads import CleanAttachment
from notifications.services import notify
from residents.access import members_in_audience
from residents.models import Category, Residence, User

from .models import (
    Announcement,
    AnnouncementAttachment,
    CalendarFeed,
    Event,
    EventKind,
)

FIELDS = ("title", "body", "audience", "pinned", "urgent", "publish_at", "expires_at")


@transaction.atomic
def announcement_publish(
    *,
    residence: Residence,
    author: User,
    attachments: Sequence[CleanAttachment] = (),
    **data,
) -> Announcement:
    announcement = Announcement(residence=residence, author=author, **data)
    announcement.full_clean()
    announcement.save()
    _attach(announcement, attachments)
    announcement_notify_if_due(announcement=announcement)
    return announcement


@transaction.atomic
def announcement_update(
    *,
    announcement: Announcement,
    attachments: Sequence[CleanAttachment] = (),
    remove_attachments: Iterable[int] = (),
    **data,
) -> Announcement:
    for field in FIELDS:
        if field in data:
            setattr(announcement, field, data[field])
    announcement.full_clean()
    announcement.save()
    _detach(announcement, remove_attachments)
    _attach(announcement, attachments)
    announcement_notify_if_due(announcement=announcement)
    return announcement


def _attach(announcement: Announcement, attachments: Sequence[CleanAttachment]) -> None:
    """Store checked files; if storing one fails, the files already written go too."""
    with FilesWritten() as files:
        for attachment in attachments:
            row = AnnouncementAttachment(
                announcement=announcement,
                original_name=attachment.original_name,
                content_type=attachment.content_type,
                size=attachment.size,
                width=attachment.width,
                height=attachment.height,
            )
            files.save(row.file, attachment.content.name, attachment.content)
            if attachment.thumbnail is not None:
                thumbnail = attachment.thumbnail
                files.save(row.thumbnail, thumbnail.name, thumbnail)
            row.save()


def _detach(announcement: Announcement, ids: Iterable[int]) -> None:
    """Remove attachments of this announcement; their files go once committed."""
    rows = list(announcement.attachments.filter(pk__in=list(ids)))
    announcement.attachments.filter(pk__in=[row.pk for row in rows]).delete()
    delete_on_commit(*(f for row in rows for f in (row.file, row.thumbnail)))


def announcement_notify_if_due(*, announcement: Announcement) -> bool:
    """Notify the audience once the announcement is published (never twice)."""
    # A conditional UPDATE claims the notification atomically, so that two runs (the
    # save and the cron) cannot both notify; notified_at is bookkeeping, not history.
    claimed = Announcement.objects.filter(
        pk=announcement.pk, notified_at__isnull=True, publish_at__lte=timezone.now()
    ).update(notified_at=timezone.now())
    if not claimed:
        return False
    notify(
        recipients=list(
            members_in_audience(announcement.residence, announcement.audience).exclude(
                pk=announcement.author_id
            )
        ),
        residence=announcement.residence,
        category=Category.NEWS,
        template="news_published",
        context={"residence": announcement.residence.name, "title": announcement.title},
        url=announcement.get_absolute_url(),
        urgent=announcement.urgent,
    )
    return True


def publish_due_announcements() -> int:
    """Cron: notify the audiences of announcements whose publication time has come."""
    due = Announcement.objects.filter(
        notified_at__isnull=True, publish_at__lte=timezone.now()
    ).select_related("residence")
    count = 0
    for announcement in due:
        with transaction.atomic():
            count += announcement_notify_if_due(announcement=announcement)
    return count


EVENT_FIELDS = ("kind", "title", "description", "place", "starts_at", "ends_at",
                "council_only")  # fmt: skip


@transaction.atomic
def event_save(
    *, residence: Residence, by: User, event: Event | None = None, **data
) -> Event:
    """Create or change an event; council meetings are always council-only."""
    event = event or Event(residence=residence, created_by=by)
    for field in EVENT_FIELDS:
        if field in data:
            setattr(event, field, data[field])
    if event.kind == EventKind.COUNCIL:
        event.council_only = True
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def calendar_feed_renew(*, user: User, residence: Residence) -> CalendarFeed:
    """A new private feed address; the previous one stops working at once."""
    CalendarFeed.objects.select_for_update().filter(
        user=user, residence=residence, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    return CalendarFeed.objects.create(user=user, residence=residence)


def calendar_feed_revoke(*, user: User, residence: Residence) -> int:
    return CalendarFeed.objects.filter(
        user=user, residence=residence, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
