"""The residence's library: documents, their versions, and who may open them.

A `Document` is what people see (title, category, date, visibility); its file lives in
its `DocumentVersion`s: uploading a new version keeps the previous ones. A document
with an `owner` belongs to that member's personal space and nobody else may open it,
the syndic included.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from copro.lib.uploads import PrivateUploadTo
from residents.models import Lot, Residence

from .categories import Category


class Visibility(models.TextChoices):
    EVERYONE = "everyone", _("All members")
    OWNERS = "owners", _("Co-owners only")
    COUNCIL = "council", _("Council only")
    NAMED = "named", _("Named members or lots")


class Document(models.Model):
    residence = models.ForeignKey(
        Residence, on_delete=models.CASCADE, related_name="documents"
    )
    # Set for a member's personal space: then only that person may open it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="personal_documents",
    )
    category = models.CharField(
        _("category"), max_length=30, choices=Category.choices, default=Category.OTHER
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    tags = ArrayField(
        models.CharField(max_length=40),
        verbose_name=_("tags"),
        blank=True,
        default=list,
    )
    date = models.DateField(_("date of the document"), default=timezone.localdate)
    visibility = models.CharField(
        _("visible to"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.OWNERS,
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("named members"),
        blank=True,
        related_name="+",
    )
    lots = models.ManyToManyField(
        Lot, verbose_name=_("named lots"), blank=True, related_name="+"
    )
    current_version = models.ForeignKey(
        "DocumentVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # Title (A), description and tags (B), text of the current version (C).
    search = SearchVectorField(null=True, editable=False)

    history = HistoricalRecords(excluded_fields=["search"])

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-date", "-pk"]
        indexes = [
            GinIndex(fields=["search"], name="document_search"),
            GinIndex(fields=["tags"], name="document_tags"),
            models.Index(
                fields=["residence", "category", "-date"],
                condition=Q(owner__isnull=True),
                name="document_library",
            ),
            models.Index(fields=["owner", "-date"], name="document_personal"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(visibility="named"),
                name="personal_documents_are_named",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("documents:detail", args=[self.residence.slug, self.pk])

    @property
    def is_personal(self) -> bool:
        return self.owner_id is not None


class DocumentVersion(models.Model):
    """One uploaded file of a document; earlier versions stay consultable."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(upload_to=PrivateUploadTo("documents"))
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    kind = models.CharField(_("type"), max_length=10)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    text = models.TextField(blank=True, editable=False)
    text_extracted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="document_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"
