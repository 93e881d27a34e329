"""Photo albums of a residence: works progress, residence life.

Photos are stored re-encoded without metadata (`copro.lib.uploads.clean_image`), under
random names, and only served by the album views after the access policy said yes.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from copro.lib.uploads import THUMBNAIL_BOX, PrivateUploadTo
from residents.models import Residence


class Album(models.Model):
    residence = models.ForeignKey(
        Residence, on_delete=models.CASCADE, related_name="albums"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    taken_on = models.DateField(
        _("date"), null=True, blank=True, help_text=_("When the photos were taken.")
    )
    council_only = models.BooleanField(
        _("council only"),
        default=False,
        help_text=_("Only the council and the syndic see this album."),
    )
    cover = models.ForeignKey(
        "Photo",
        verbose_name=_("cover photo"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("album")
        verbose_name_plural = _("albums")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["residence", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("albums:detail", args=[self.residence.slug, self.pk])

    def clean(self) -> None:
        if self.cover_id is not None and (
            self.pk is None or self.cover.album_id != self.pk
        ):
            raise ValidationError(
                {"cover": _("The cover must be one of the album's photos.")}
            )


class Photo(models.Model):
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to=PrivateUploadTo("albums"))
    thumbnail = models.FileField(_("thumbnail"), upload_to=PrivateUploadTo("albums"))
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    original_name = models.CharField(_("original file name"), max_length=255)
    caption = models.CharField(
        _("caption"),
        max_length=300,
        blank=True,
        help_text=_("Describes the photo for people who cannot see it."),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    position = models.PositiveIntegerField(_("position"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["position", "pk"]
        # The dashboard's "latest photos"; the (album, position) index that the album
        # page reads in order is the unique constraint's own index.
        indexes = [models.Index(fields=["-uploaded_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["album", "position"], name="photo_position_unique_in_album"
            ),
            models.CheckConstraint(
                condition=models.Q(width__gt=0, height__gt=0),
                name="photo_has_dimensions",
            ),
        ]

    def __str__(self) -> str:
        return self.caption or self.original_name

    def get_absolute_url(self) -> str:
        return reverse("albums:photo", args=[self.album.residence.slug, self.pk])

    @property
    def alt_text(self) -> str:
        """The caption, else "Photo N of album X" in the reader's language."""
        if self.caption:
            return self.caption
        return gettext("Photo %(n)s of album %(album)s") % {
            "n": self.position,
            "album": self.album.title,
        }

    @property
    def thumbnail_size(self) -> tuple[int, int]:
        """The thumbnail's dimensions, as `clean_image` scaled it (for width/height
        attributes, so that the page does not jump while thumbnails load)."""
        scale = min(THUMBNAIL_BOX[0] / self.width, THUMBNAIL_BOX[1] / self.height, 1)
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))

    @property
    def thumbnail_width(self) -> int:
        return self.thumbnail_size[0]

    @property
    def thumbnail_height(self) -> int:
        return self.thumbnail_size[1]
