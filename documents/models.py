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
            # The library's default order, and the years menu's min/max.
            models.Index(
                fields=["residence", "-date", "-id"],
                condition=Q(owner__isnull=True, archived_at__isnull=True),
                name="document_recent",
            ),
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


class CategoryFollow(models.Model):
    """A member who wants to hear of new and updated documents of one category."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    residence = models.ForeignKey(Residence, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("followed category")
        verbose_name_plural = _("followed categories")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "residence", "category"], name="category_follow_unique"
            )
        ]
        indexes = [models.Index(fields=["residence", "category"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.category}"


class ShareLink(models.Model):
    """A link for someone outside the residence (notary, bank, buyer) to download a
    set of documents: expiring, optionally password-protected, limited in downloads,
    revocable; every access is logged."""

    residence = models.ForeignKey(
        Residence, on_delete=models.CASCADE, related_name="share_links"
    )
    documents = models.ManyToManyField(
        Document, verbose_name=_("documents"), related_name="share_links"
    )
    label = models.CharField(_("for whom"), max_length=200)
    token = models.CharField(max_length=64, unique=True)
    password_hash = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    max_downloads = models.PositiveIntegerField(
        _("maximum number of downloads"), null=True, blank=True
    )
    download_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["download_count"])

    class Meta:
        verbose_name = _("share link")
        verbose_name_plural = _("share links")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_downloads__isnull=True)
                | Q(download_count__lte=models.F("max_downloads")),
                name="share_link_download_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ShareAccess(models.Model):
    """One use of a share link, whatever its outcome."""

    class Outcome(models.TextChoices):
        OPENED = "opened", _("Opened")
        DOWNLOADED = "downloaded", _("Downloaded")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")
        LIMIT = "limit", _("Download limit reached")
        BAD_PASSWORD = "bad_password", _("Wrong password")

    link = models.ForeignKey(
        ShareLink, on_delete=models.CASCADE, related_name="accesses"
    )
    document = models.ForeignKey(
        Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)

    class Meta:
        verbose_name = _("share link access")
        verbose_name_plural = _("share link accesses")
        ordering = ["-at"]
        indexes = [models.Index(fields=["link", "-at"])]

    def __str__(self) -> str:
        return f"{self.link} {self.at:%Y-%m-%d %H:%M} {self.outcome}"


class SignatureStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the signature")
    SIGNED = "signed", _("Signed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


class SignatureRequest(models.Model):
    """Syndic staff ask a member to sign one version of a document (a PDF). Signing
    produces a new version carrying a visible block and a PAdES signature; the
    evidence (who, when, IP, hashes, how they confirmed) stays here."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="signature_requests"
    )
    version = models.ForeignKey(
        DocumentVersion, on_delete=models.PROTECT, related_name="+"
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    message = models.TextField(_("message"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=SignatureStatus.choices,
        default=SignatureStatus.PENDING,
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    signed_version = models.OneToOneField(
        DocumentVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signature",
    )
    # Evidence of the signature.
    signer_ip = models.GenericIPAddressField(null=True, blank=True)
    signer_user_agent = models.CharField(max_length=300, blank=True)
    confirmation = models.CharField(
        _("identity confirmed by"), max_length=20, blank=True
    )
    original_sha256 = models.CharField(max_length=64, blank=True)
    signed_sha256 = models.CharField(max_length=64, blank=True)
    # A one-time code sent by SMS, when the signer confirms that way (hashed).
    sms_code_hash = models.CharField(max_length=200, blank=True)
    sms_code_expires_at = models.DateTimeField(null=True, blank=True)
    sms_attempts = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords(excluded_fields=["sms_code_hash", "sms_attempts"])

    class Meta:
        verbose_name = _("signature request")
        verbose_name_plural = _("signature requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "signer"],
                condition=Q(status="pending"),
                name="one_pending_signature_per_signer",
            ),
            models.CheckConstraint(
                condition=~Q(status="signed") | Q(signed_version__isnull=False),
                name="signed_requests_have_their_pdf",
            ),
        ]
        indexes = [models.Index(fields=["signer", "status"])]

    def __str__(self) -> str:
        return f"{self.document} → {self.signer}"


class ApiToken(models.Model):
    """A syndic's software publishes documents and events into the residences that
    syndic currently manages. Only a hash of the secret is kept."""

    syndic = models.ForeignKey(
        "residents.Syndic", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
