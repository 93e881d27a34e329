"""Works in a residence (chantiers): the record, its dated updates with photos, and
who follows them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from copro.lib.uploads import PrivateUploadTo
from residents.models import Residence

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class WorksStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    VOTED = "voted", _("Voted")
    IN_PROGRESS = "in_progress", _("In progress")
    SUSPENDED = "suspended", _("Suspended")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# Works that are over: listed after the others.
CLOSED_STATUSES = (WorksStatus.DONE, WorksStatus.CANCELLED)


def _percent_check(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True})
        | models.Q(**{f"{field}__gte": 0, f"{field}__lte": 100}),
        name=name,
    )


class Works(models.Model):
    residence = models.ForeignKey(
        Residence, on_delete=models.CASCADE, related_name="works"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(
        _("description"), blank=True, help_text=_("Markdown: **bold**, lists, links.")
    )
    # Free text: the directory of contractors is a separate app; a link can come later.
    contractor = models.CharField(_("contractor"), max_length=200, blank=True)
    budget = models.DecimalField(
        _("budget (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    # Free text and a date until the assemblies app exists; then a foreign key to the
    # assembly (and its resolution) replaces them.
    voted_at_assembly = models.CharField(
        _("voted at"),
        max_length=200,
        blank=True,
        help_text=_("e.g. Annual general assembly, resolution 12"),
    )
    voted_on = models.DateField(_("voted on"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=WorksStatus.choices,
        default=WorksStatus.PLANNED,
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=PERCENT
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("expected end"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("works")
        verbose_name_plural = _("works")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["residence", "status"])]
        constraints = [
            _percent_check("progress", "works_progress_is_a_percentage"),
            models.CheckConstraint(
                condition=models.Q(budget__isnull=True) | models.Q(budget__gte=0),
                name="works_budget_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(starts_on__isnull=True)
                | models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="works_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("works:detail", args=[self.residence.slug, self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class WorksUpdate(models.Model):
    """A dated news item on the works; it may move its progress and status."""

    works = models.ForeignKey(Works, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted"), default=timezone.now)
    text = models.TextField(_("text"))
    progress = models.PositiveSmallIntegerField(
        _("progress after this update (%)"), null=True, blank=True, validators=PERCENT
    )
    status = models.CharField(
        _("new status"),
        max_length=20,
        choices=WorksStatus.choices,
        blank=True,
        help_text=_("Leave empty when the status does not change."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("works update")
        verbose_name_plural = _("works updates")
        ordering = ["-posted_at", "-pk"]
        indexes = [models.Index(fields=["works", "-posted_at"])]
        constraints = [_percent_check("progress", "works_update_progress_percentage")]

    def __str__(self) -> str:
        return f"{self.works} · {self.posted_at:%Y-%m-%d}"


class WorksPhoto(models.Model):
    """A photo of an update, re-encoded without metadata, stored under a random name,
    served only through `works:photo` after the access policy."""

    update = models.ForeignKey(
        WorksUpdate, on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(upload_to=PrivateUploadTo("works"), max_length=200)
    thumbnail = models.FileField(upload_to=PrivateUploadTo("works"), max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    original_name = models.CharField(max_length=255)
    caption = models.CharField(
        _("description of the photos"),
        max_length=200,
        blank=True,
        help_text=_(
            "For people who cannot see them, e.g. “Scaffolding on the south facade”."
        ),
    )

    class Meta:
        verbose_name = _("works photo")
        verbose_name_plural = _("works photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class WorksFollow(models.Model):
    """A member's choice to follow a works record or not; no row means following."""

    works = models.ForeignKey(Works, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    following = models.BooleanField(default=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("works follower")
        verbose_name_plural = _("works followers")
        constraints = [
            models.UniqueConstraint(fields=["works", "user"], name="works_follow_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.works}"
