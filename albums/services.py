"""Writing albums and photos.

Uploads are all or nothing: every file is checked and re-encoded (`clean_image`)
before anything is written; if one file is bad, nothing is stored and the error names
each bad file. Files written during the upload's transaction are deleted if it
fails (a caller's outer transaction rolling back later is not covered: call it
outside one). A deleted photo's files are removed once the deletion is committed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from copro.lib.uploads import CleanImage, clean_image
from residents.models import Residence, User

from .models import Album, Photo

ALBUM_FIELDS = ("title", "description", "taken_on", "council_only")


@transaction.atomic
def album_create(*, residence: Residence, created_by: User, **data) -> Album:
    album = Album(residence=residence, created_by=created_by)
    for field in ALBUM_FIELDS:
        if field in data:
            setattr(album, field, data[field])
    album.full_clean()
    album.save()
    return album


@transaction.atomic
def album_update(*, album: Album, **data) -> Album:
    for field in ALBUM_FIELDS:
        if field in data:
            setattr(album, field, data[field])
    album.full_clean()
    album.save()
    return album


def photos_upload(*, album: Album, uploaded_by: User, files: Iterable) -> list[Photo]:
    """Add uploaded files to the album, in the order given, after the last photo.

    Raises a ValidationError holding one message per bad file (naming it) and stores
    nothing if any file is bad. The first photo of an album without a cover becomes
    its cover."""
    cleaned: list[CleanImage] = []
    errors: list[ValidationError] = []
    for upload in files:
        try:
            cleaned.append(clean_image(upload))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    if not cleaned:
        raise ValidationError(_("Choose at least one photo."), code="required")
    written: list[str] = []
    try:
        return _store_photos(album, uploaded_by, cleaned, written)
    except Exception:
        _delete_files(written)
        raise


@transaction.atomic
def _store_photos(
    album: Album, uploaded_by: User, cleaned: list[CleanImage], written: list[str]
) -> list[Photo]:
    # Lock the album so that two uploads at once cannot take the same positions.
    locked = Album.objects.select_for_update().get(pk=album.pk)
    last = locked.photos.aggregate(last=Max("position"))["last"] or 0
    photos = []
    for offset, image in enumerate(cleaned, start=1):
        photo = Photo(
            album=locked,
            width=image.width,
            height=image.height,
            original_name=image.original_name[:255],
            uploaded_by=uploaded_by,
            position=last + offset,
        )
        photo.image.save(image.image.name, image.image, save=False)
        written.append(photo.image.name)
        photo.thumbnail.save(image.thumbnail.name, image.thumbnail, save=False)
        written.append(photo.thumbnail.name)
        photo.full_clean()
        photo.save()
        photos.append(photo)
    if locked.cover_id is None:
        locked.cover = photos[0]
        locked.full_clean()
        locked.save(update_fields=["cover"])
        album.cover = locked.cover
    return photos


@transaction.atomic
def photo_update(*, photo: Photo, caption: str, make_cover: bool) -> Photo:
    """Change a caption; make the photo the album's cover, or stop it being one."""
    photo.caption = caption
    photo.full_clean()
    photo.save()
    album = Album.objects.select_for_update().get(pk=photo.album_id)
    if make_cover and album.cover_id != photo.pk:
        album.cover = photo
    elif not make_cover and album.cover_id == photo.pk:
        album.cover = None
    else:
        return photo
    album.full_clean()
    album.save(update_fields=["cover"])
    photo.album = album
    return photo


@transaction.atomic
def photo_delete(*, photo: Photo) -> None:
    """Delete a photo and, once committed, its files. A cover photo hands the cover to
    the album's first remaining photo."""
    album = Album.objects.select_for_update().get(pk=photo.album_id)
    if album.cover_id == photo.pk:
        # Saved here (with history) rather than left to SET_NULL's bulk update.
        album.cover = album.photos.exclude(pk=photo.pk).order_by("position").first()
        album.save(update_fields=["cover"])
    names = [photo.image.name, photo.thumbnail.name]
    photo.delete()
    transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: Iterable[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)
