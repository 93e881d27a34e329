"""Residence life: announcements and the calendar of a residence."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from copro.lib.uploads import PrivateUploadTo
from residents.models import Residence


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    OWNERS = "owners", _("Co-owners only")
    COUNCIL = "council", _("Council only")


class Announcement(models.Model):
    residence = models.ForeignKey(
        Residence, on_delete=models.CASCADE, related_name="announcements"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), help_text=_("Markdown: **bold**, lists, links."))
    audience = models.CharField(
        _("audience"),
        max_length=10,
        choices=Audience.choices,
        default=Audience.EVERYONE,
    )
    pinned = models.BooleanField(_("pinned on top"), default=False)
    urgent = models.BooleanField(
        _("urgent"),
        default=False,
        help_text=_("Also sent by SMS to those who asked for it (e.g. a water cut)."),
    )
    publish_at = models.DateTimeField(_("publish on"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-pinned", "-publish_at", "-pk"]
        indexes = [
            models.Index(fields=["residence", "-pinned", "-publish_at"]),
            models.Index(fields=["notified_at", "publish_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True)
                | models.Q(expires_at__gt=models.F("publish_at")),
                name="announcement_expires_after_publication",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("life:announcement", args=[self.residence.slug, self.pk])


class AnnouncementAttachment(models.Model):
    """A document or photo attached to an announcement, checked by content on upload
    (copro.lib.uploads) and served only to those who may read the announcement."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=PrivateUploadTo("announcements"))
    thumbnail = models.FileField(upload_to=PrivateUploadTo("announcements"), blank=True)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class EventKind(models.TextChoices):
    ASSEMBLY = "assembly", _("General assembly")
    MAINTENANCE = "maintenance", _("Maintenance")
    WORKS = "works", _("Works")
    VISIT = "visit", _("Contractor visit")
    OUTAGE = "outage", _("Water, power or lift outage")
    COUNCIL = "council", _("Council meeting")
    OTHER = "other", _("Other")


class Event(models.Model):
    residence = models.ForeignKey(
        Residence, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    council_only = models.BooleanField(
        _("council only"),
        default=False,
        help_text=_("Council meetings are always for the council only."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["residence", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="event_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="council") | models.Q(council_only=True),
                name="council_meetings_are_council_only",
            ),
        ]

    def __str__(self) -> str:
        return self.title


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A member's private iCalendar address; revoking it makes the address dead."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    residence = models.ForeignKey(Residence, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "residence"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_feed_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.residence}"
