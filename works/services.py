"""Writing works records and their updates; followers are notified of each update."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.lib.uploads import CleanImage
from notifications.services import notify
from residents.access import members_in_audience
from residents.models import Category, Residence, User

from .models import Works, WorksFollow, WorksPhoto, WorksUpdate

WORKS_FIELDS = (
    "title",
    "description",
    "contractor",
    "budget",
    "voted_at_assembly",
    "voted_on",
    "status",
    "progress",
    "starts_on",
    "ends_on",
)
MAX_PHOTOS = 10


@transaction.atomic
def works_save(
    *, residence: Residence, by: User, works: Works | None = None, **data
) -> Works:
    """Create a works record (when `works` is None) or change it."""
    works = works or Works(residence=residence, created_by=by)
    for field in WORKS_FIELDS:
        if field in data:
            setattr(works, field, data[field])
    works.full_clean()
    works.save()
    return works


@transaction.atomic
def works_post_update(
    *,
    works: Works,
    author: User,
    text: str,
    progress: int | None = None,
    status: str = "",
    photos: Sequence[CleanImage] = (),
    caption: str = "",
) -> WorksUpdate:
    """Post a dated update with its photos (already cleaned with `clean_image`), move
    the works' progress and status, and notify its followers, all or nothing."""
    if len(photos) > MAX_PHOTOS:
        raise ValidationError(
            _("Send at most %(max)s photos at once."), params={"max": MAX_PHOTOS}
        )
    # Lock the works row: two updates posted at once apply one after the other.
    works = (
        Works.objects.select_for_update().select_related("residence").get(pk=works.pk)
    )
    update = WorksUpdate(
        works=works,
        author=author,
        text=text,
        progress=progress,
        status=status or "",
        posted_at=timezone.now(),
    )
    update.full_clean()
    update.save()
    changed = []
    if progress is not None and progress != works.progress:
        works.progress = progress
        changed.append("progress")
    if status and status != works.status:
        works.status = status
        changed.append("status")
    if changed:
        works.full_clean()
        works.save(update_fields=changed)  # history records the new values
    for photo in photos:
        row = WorksPhoto(
            update=update,
            image=photo.image,
            thumbnail=photo.thumbnail,
            width=photo.width,
            height=photo.height,
            original_name=photo.original_name,
            caption=caption,
        )
        row.full_clean()
        row.save()
    _notify_followers(works=works, update=update)
    return update


def works_audience(works: Works):
    """Ids of the people an update reaches: every member of the residence and the
    current syndic's staff, minus those who unfollowed the works."""
    unfollowed = WorksFollow.objects.filter(works=works, following=False)
    return members_in_audience(works.residence, "everyone").exclude(
        pk__in=unfollowed.values("user_id")
    )


def _notify_followers(*, works: Works, update: WorksUpdate) -> None:
    notify(
        recipients=list(works_audience(works).exclude(pk=update.author_id)),
        residence=works.residence,
        category=Category.WORKS,
        template="works_update",
        context={
            "residence": works.residence.name,
            "title": works.title,
            "progress": works.progress,
            # The code, not its label: each recipient reads it in their language.
            "status": update.status,
            "text": update.text[:500],
        },
        url=works.get_absolute_url(),
    )


def works_follow(*, works: Works, user: User, following: bool) -> WorksFollow:
    """Follow or stop following a works record (one row per person and works)."""
    follow, _created = WorksFollow.objects.update_or_create(
        works=works,
        user=user,
        defaults={"following": following, "changed_at": timezone.now()},
    )
    return follow
