"""The residence's directory (contacts, contracts, residents who opt in) and its
small knowledge base of useful information.

Council members and the syndic are not stored here: they come from memberships and
from the residence's current syndic, so the directory never disagrees with them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from copro.lib import search
from residents.models import Membership, Residence

SEARCH_CONFIG = search.CONFIG  # French stemming, accents ignored


def info_search_vector() -> SearchVector:
    """Title weighs more than body. The GIN index below is built on this very
    expression: a query must use it unchanged for PostgreSQL to use the index."""
    return SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector(
        "body", weight="B", config=SEARCH_CONFIG
    )


class ContactKind(models.TextChoices):
    SYNDIC_CONTACT = "syndic_contact", _("Syndic contact")
    CARETAKER = "caretaker", _("Caretaker and building staff")
    PROVIDER = "provider", _("Service provider")
    EMERGENCY = "emergency", _("Emergency number")
    OTHER = "other", _("Other contact")


class Contact(models.Model):
    residence = models.ForeignKey(
        Residence, on_delete=models.CASCADE, related_name="contacts"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ContactKind.choices)
    name = models.CharField(_("name"), max_length=200)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    role = models.CharField(
        _("role or description"),
        max_length=200,
        blank=True,
        help_text=_("e.g. Property manager, Lift maintenance, Plumber on call."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    hours = models.CharField(
        _("opening hours"),
        max_length=200,
        blank=True,
        help_text=_("e.g. Mon–Fri 8:00–12:00, 24/7."),
    )
    notes = models.TextField(_("notes"), blank=True)
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Smaller numbers come first.")
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["kind", "order", "name", "pk"]
        indexes = [models.Index(fields=["residence", "kind", "order"])]

    def __str__(self) -> str:
        if self.organisation and self.organisation != self.name:
            return f"{self.name} ({self.organisation})"
        return self.name

    @property
    def subtitle(self) -> str:
        """Role and organisation, without repeating the name."""
        parts = [self.role]
        if self.organisation != self.name:
            parts.append(self.organisation)
        return " · ".join(part for part in parts if part)


class ContractKind(models.TextChoices):
    LIFT = "lift", _("Lift maintenance")
    CLEANING = "cleaning", _("Cleaning")
    HEATING = "heating", _("Heating")
    GREEN_SPACES = "green_spaces", _("Green spaces")
    INSURANCE = "insurance", _("Insurance")
    SECURITY = "security", _("Security")
    OTHER = "other", _("Other")


class ServiceContract(models.Model):
    residence = models.ForeignKey(
        Residence, on_delete=models.CASCADE, related_name="service_contracts"
    )
    # PROTECT: a provider with contracts cannot vanish and take them along.
    provider = models.ForeignKey(
        Contact,
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ContractKind.choices)
    reference = models.CharField(_("contract reference"), max_length=100, blank=True)
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(
        _("end"), null=True, blank=True, help_text=_("Leave empty if open-ended.")
    )
    renewal_on = models.DateField(
        _("renewal date"),
        null=True,
        blank=True,
        help_text=_("When it renews (or must be renegotiated)."),
    )
    notice = models.CharField(
        _("notice period"),
        max_length=100,
        blank=True,
        help_text=_("e.g. 3 months before the renewal date."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        ordering = ["kind", "starts_on", "pk"]
        indexes = [
            models.Index(fields=["residence", "ends_on"]),
            models.Index(fields=["residence", "renewal_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=F("starts_on")),
                name="contract_ends_after_start",
                violation_error_message=_("The end must come after the start."),
            ),
            models.CheckConstraint(
                condition=Q(renewal_on__isnull=True)
                | Q(renewal_on__gte=F("starts_on")),
                name="contract_renews_after_start",
                violation_error_message=_(
                    "The renewal date cannot come before the start."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.provider}"

    @property
    def is_current(self) -> bool:
        return self.ends_on is None or self.ends_on >= timezone.localdate()


class DirectoryListing(models.Model):
    """A resident's choice to appear in the directory, and with what."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="directory_listing"
    )
    listed = models.BooleanField(_("appear in the residents' directory"), default=False)
    show_email = models.BooleanField(_("show my email address"), default=False)
    show_phone = models.BooleanField(_("show my phone number"), default=False)
    show_lots = models.BooleanField(
        _("show my lots (number, building, floor)"), default=False
    )
    note = models.CharField(
        _("a short note"),
        max_length=200,
        blank=True,
        help_text=_("e.g. 3rd floor, left door — happy to take in parcels."),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("directory listing")
        verbose_name_plural = _("directory listings")

    def __str__(self) -> str:
        return str(self.membership)


class InfoCategory(models.TextChoices):
    WASTE = "waste", _("Waste collection")
    ACCESS_KEYS = "access_keys", _("Access, keys and badges")
    HOUSE_RULES = "house_rules", _("House rules")
    FAQ = "faq", _("Frequently asked questions")
    OTHER = "other", _("Other information")


class InfoPage(models.Model):
    residence = models.ForeignKey(
        Residence, on_delete=models.CASCADE, related_name="info_pages"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("address"), max_length=220, editable=False)
    category = models.CharField(
        _("category"), max_length=20, choices=InfoCategory.choices
    )
    body = models.TextField(_("text"), help_text=_("Markdown: **bold**, lists, links."))
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Smaller numbers come first.")
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("information page")
        verbose_name_plural = _("information pages")
        ordering = ["category", "order", "title", "pk"]
        indexes = [
            models.Index(fields=["residence", "category", "order"]),
            GinIndex(info_search_vector(), name="infopage_search"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["residence", "slug"],
                name="infopage_slug_unique",
                violation_error_message=_("A page with this title already exists."),
            ),
            models.UniqueConstraint(
                Lower("title"),
                "residence",
                name="infopage_title_unique",
                violation_error_message=_("A page with this title already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("directory:info_page", args=[self.residence.slug, self.slug])
