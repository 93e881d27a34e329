"""Residence life: announcements (news) published to a residence's members."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

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
