"""Incidents (something broken in the common parts) and requests (a question or a
demand to the syndic): one tracking model, `Ticket`, with its transitions, "me too"
confirmations, comments and photos."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from copro.lib.uploads import PrivateUploadTo
from residents.models import Residence

from .workflow import DONE_STATUSES, OPEN_STATUSES, Status


class Kind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    REQUEST = "request", _("Request")


class Category(models.TextChoices):
    # Incidents
    LIFT = "lift", _("Lift")
    WATER = "water", _("Water, leak")
    ELECTRICITY = "electricity", _("Electricity, lighting")
    HEATING = "heating", _("Heating")
    ACCESS = "access", _("Doors, access, intercom")
    CLEANLINESS = "cleanliness", _("Cleanliness")
    SECURITY = "security", _("Security")
    # Requests
    PAYMENTS = "payments", _("Payments and charges")
    PRIVATE_WORKS = "private_works", _("Works in my lot")
    DOCUMENTS = "documents", _("Documents")
    CERTIFICATES = "certificates", _("Certificates")
    NUISANCE = "nuisance", _("Nuisance")
    OTHER = "other", _("Other")


INCIDENT_CATEGORIES = [
    Category.LIFT,
    Category.WATER,
    Category.ELECTRICITY,
    Category.HEATING,
    Category.ACCESS,
    Category.CLEANLINESS,
    Category.SECURITY,
    Category.OTHER,
]
REQUEST_CATEGORIES = [
    Category.PAYMENTS,
    Category.PRIVATE_WORKS,
    Category.DOCUMENTS,
    Category.CERTIFICATES,
    Category.NUISANCE,
    Category.OTHER,
]


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class Priority(models.IntegerChoices):
    P1 = 1, _("P1 — critical")
    P2 = 2, _("P2 — high")
    P3 = 3, _("P3 — normal")
    P4 = 4, _("P4 — low")


# The moves that take a ticket in hand, for the statistics' time to acknowledge.
ACKNOWLEDGING = frozenset({Status.ACKNOWLEDGED, Status.IN_PROGRESS})


class Ticket(models.Model):
    residence = models.ForeignKey(
        Residence, on_delete=models.CASCADE, related_name="tickets"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="reported_tickets",
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    title = models.CharField(_("in a few words"), max_length=150)
    description = models.TextField(_("what happened"), blank=True)
    location = models.CharField(
        _("where"),
        max_length=200,
        blank=True,
        help_text=_("Building, staircase, floor or common area, e.g. Bât. A, 3e."),
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    # Requests only: seen by the syndic alone (not the council).
    private = models.BooleanField(
        _("private"),
        default=False,
        help_text=_("Only the syndic sees it, not the council."),
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    created_at = models.DateTimeField(_("declared"), default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    confirmation_count = models.PositiveIntegerField(default=0)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("comment on the handling"), blank=True)
    # A request the council passed on to the syndic, with its own word.
    relayed_at = models.DateTimeField(_("relayed"), null=True, blank=True)
    relayed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    relay_comment = models.TextField(_("the council's comment"), blank=True)
    # Milestones for the statistics: the first move to acknowledged or in progress,
    # the first move to resolved (see `stamp_milestones`). A reopening keeps them:
    # the time to resolve runs to the *first* resolution, as the statistics page
    # states (the second one shows in the month's closings). Set with the move by
    # the services; the database also folds in any transition inserted otherwise
    # (trigger of migration 0003), so they always equal the earliest such move.
    acknowledged_at = models.DateTimeField(
        _("acknowledged"), null=True, blank=True, editable=False
    )
    resolved_at = models.DateTimeField(
        _("resolved"), null=True, blank=True, editable=False
    )

    # The milestones are derived from the transitions, which are the history.
    history = HistoricalRecords(
        excluded_fields=["confirmation_count", "acknowledged_at", "resolved_at"]
    )

    class Meta:
        verbose_name = _("incident or request")
        verbose_name_plural = _("incidents and requests")
        ordering = ["-created_at", "-pk"]
        # Granted on one ticket through django-guardian (a co-owner's delegation).
        permissions = [
            ("follow_ticket", _("Can follow and comment on this incident or request"))
        ]
        indexes = [
            models.Index(fields=["residence", "kind", "status", "-created_at"]),
            models.Index(fields=["residence", "kind", "category", "status"]),
            models.Index(fields=["reporter", "-created_at"]),
            # The statistics: a residence's tickets declared since a date,
            # duplicates left out.
            models.Index(
                fields=["residence", "created_at"],
                condition=Q(merged_into=None),
                name="ticket_stats_declared",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="ticket_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(kind="request") | Q(private=False),
                name="only_requests_are_private",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", args=[self.residence.slug, self.pk])

    @property
    def is_open(self) -> bool:
        from .workflow import OPEN_STATUSES

        return self.status in OPEN_STATUSES

    def stamp_milestones(self, status: str, at: datetime) -> list[str]:
        """Fold a move to `status` at `at` into the milestones (the earliest move
        wins), as the database does for each transition it stores; returns the
        fields changed, for `save(update_fields=…)`."""
        changed = []
        if status in ACKNOWLEDGING and (
            self.acknowledged_at is None or at < self.acknowledged_at
        ):
            self.acknowledged_at = at
            changed.append("acknowledged_at")
        if status == Status.RESOLVED and (
            self.resolved_at is None or at < self.resolved_at
        ):
            self.resolved_at = at
            changed.append("resolved_at")
        return changed


class Transition(models.Model):
    """One change of status: who, when, why."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["ticket", "at"]),
            # The statistics' closings per month (moves from an open state to a
            # done one): probed ticket by ticket, answered from the index alone.
            models.Index(
                fields=["ticket", "at"],
                condition=Q(
                    from_status__in=sorted(OPEN_STATUSES),
                    to_status__in=sorted(DONE_STATUSES),
                ),
                name="transition_closing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket}: {self.from_status} → {self.to_status}"


class Confirmation(models.Model):
    """A resident who sees the same problem says "me too" instead of a duplicate."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="confirmations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("confirmation")
        verbose_name_plural = _("confirmations")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="confirm_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.ticket}"


class Comment(models.Model):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("comment"))
    # An internal note: the council and the syndic only.
    internal = models.BooleanField(
        _("internal note"),
        default=False,
        help_text=_("Seen by the council and the syndic only."),
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["ticket", "at"])]

    def __str__(self) -> str:
        return self.body[:50]


class Photo(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=PrivateUploadTo("incidents"))
    thumbnail = models.FileField(upload_to=PrivateUploadTo("incidents"))
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class Delegation(models.Model):
    """A co-owner lets another person follow and comment on their incidents and
    requests: all of them, or chosen ones (then granted one by one through
    django-guardian), until an end date; revocable at any time.

    The delegate is a member picked from the residence, or someone named by email
    (`invited_email`): a person outside the residence, such as a relative or a
    proxy. Until an account verifies that address, `delegate` stays empty and the
    delegation grants nothing."""

    residence = models.ForeignKey(Residence, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="delegations_received",
    )
    invited_email = models.EmailField(_("email"), blank=True)
    all_tickets = models.BooleanField(_("all my incidents and requests"), default=True)
    tickets = models.ManyToManyField(Ticket, verbose_name=_("chosen ones"), blank=True)
    until = models.DateField(_("until"))
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    history = HistoricalRecords(m2m_fields=[tickets])

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(owner=models.F("delegate")), name="no_self_delegation"
            ),
            models.CheckConstraint(
                condition=Q(delegate__isnull=False) | ~Q(invited_email=""),
                name="delegation_delegate_or_email",
            ),
        ]
        indexes = [
            models.Index(fields=["delegate", "residence"]),
            models.Index(
                fields=["invited_email"],
                condition=Q(delegate__isnull=True),
                name="delegation_pending_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner} → {self.delegate or self.invited_email}"

    @property
    def delegate_label(self) -> str:
        """Who the co-owner named: the address they typed, else the member they
        picked (never whether that address has an account)."""
        return self.invited_email or str(self.delegate)


class Intervention(models.Model):
    """The syndic sends a provider from the directory; the visit goes into the
    residence's calendar; its quote, invoice and report are stored as documents."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="interventions"
    )
    provider = models.ForeignKey(
        "directory.Contact",
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="interventions",
    )
    visit_starts_at = models.DateTimeField(_("visit"), null=True, blank=True)
    visit_ends_at = models.DateTimeField(_("visit ends"), null=True, blank=True)
    event = models.OneToOneField(
        "life.Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(_("instructions for the provider"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visit_ends_at__isnull=True)
                | Q(visit_ends_at__gt=models.F("visit_starts_at")),
                name="intervention_visit_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} · {self.provider}"


class InterventionDocument(models.Model):
    class Role(models.TextChoices):
        QUOTE = "quote", _("Quote")
        INVOICE = "invoice", _("Invoice")
        REPORT = "report", _("Intervention report")

    intervention = models.ForeignKey(
        Intervention, on_delete=models.CASCADE, related_name="documents"
    )
    document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("kind"), max_length=10, choices=Role.choices)

    class Meta:
        verbose_name = _("intervention document")
        verbose_name_plural = _("intervention documents")
        constraints = [
            models.UniqueConstraint(
                fields=["intervention", "document"], name="intervention_document_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.intervention} · {self.role}"


class QuoteRequest(models.Model):
    """A resident's request for quotes on private works, sent to a provider of the
    residence; the quote comes back on the request as a document."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="quote_requests"
    )
    provider = models.ForeignKey(
        "directory.Contact",
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="quote_requests",
    )
    sent_at = models.DateTimeField(default=timezone.now)
    quote = models.ForeignKey(
        "documents.Document",
        verbose_name=_("quote"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote request")
        verbose_name_plural = _("quote requests")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "provider"], name="one_quote_request_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket} · {self.provider}"

