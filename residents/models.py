"""People, syndics, residences, lots and who belongs where.

A residence outlives its syndic: staff reach a residence through `SyndicEmployee`
and the residence's *current* syndic, so changing the syndic moves access without
touching data.
Residents reach it through `Membership` (owner, tenant, council).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


class EmailUserManager(UserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        # allauth looks addresses up lowercased: store them so, or a capital makes the
        # account unreachable (and a Google sign-in would try to create a twin).
        return super().normalize_email(email or "").strip().lower()

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person. Email is the login; the profile lives here too."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="fr"
    )
    email_digest = models.BooleanField(
        _("daily email summary"),
        default=False,
        help_text=_("One email a day listing the news, instead of one email each."),
    )

    objects = EmailUserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(phone_verified=True),
                name="user_verified_phone_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Syndic(models.Model):
    """A management company (or a volunteer syndic) appointed by residences."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("syndic")
        verbose_name_plural = _("syndics")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SyndicRole(models.TextChoices):
    MANAGER = "syndic_manager", _("Syndic manager")
    STAFF = "syndic_staff", _("Syndic staff")


class SyndicEmployee(models.Model):
    """A person working for a syndic: they reach the syndic's current residences."""

    syndic = models.ForeignKey(
        Syndic, on_delete=models.CASCADE, related_name="employees"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="employments"
    )
    role = models.CharField(_("role"), max_length=20, choices=SyndicRole.choices)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("syndic employee")
        verbose_name_plural = _("syndic employees")
        constraints = [
            models.UniqueConstraint(fields=["syndic", "user"], name="employee_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.syndic})"


class Residence(models.Model):
    """A copropriété: the syndicat des copropriétaires and its building(s)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    address = models.CharField(_("address"), max_length=300)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    syndic = models.ForeignKey(
        Syndic,
        verbose_name=_("current syndic"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residences",
    )
    join_code = models.CharField(
        _("join code"), max_length=12, unique=True, default=new_join_code
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("residence")
        verbose_name_plural = _("residences")
        ordering = ["name"]
        # Codenames of residents.access.Perm, so that django-guardian can grant them
        # on one object (view_residence is Django's default).
        permissions = [
            ("view_member_list", _("Can see the list of members")),
            ("manage_members", _("Can accept, block and invite members")),
            ("manage_residence", _("Can manage the residence, its lots and keys")),
            ("publish_news", _("Can publish announcements")),
            ("manage_calendar", _("Can manage the calendar")),
            ("manage_directory", _("Can edit the directory and useful information")),
            ("manage_works", _("Can record works and their progress")),
            ("manage_albums", _("Can manage photo albums")),
            ("manage_documents", _("Can add and organise the residence's documents")),
            ("follow_tickets", _("Can follow, relay and merge incidents and requests")),
            ("handle_tickets", _("Can handle incidents and requests")),
            ("manage_finance", _("Can enter budgets, issue calls and record payments")),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("residents:dashboard", args=[self.slug])


class AllocationKey(models.Model):
    """A clé de répartition: charges générales, or a special key (lift, heating…)."""

    residence = models.ForeignKey(
        Residence, on_delete=models.CASCADE, related_name="allocation_keys"
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    is_general = models.BooleanField(_("charges générales"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("allocation key")
        verbose_name_plural = _("allocation keys")
        ordering = ["-is_general", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["residence", "code"], name="key_code_unique"
            ),
            models.UniqueConstraint(
                fields=["residence"],
                condition=Q(is_general=True),
                name="one_general_key_per_residence",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LotKind(models.TextChoices):
    APARTMENT = "apartment", _("Apartment")
    PARKING = "parking", _("Parking")
    CELLAR = "cellar", _("Cellar")
    SHOP = "shop", _("Shop")
    OFFICE = "office", _("Office")
    OTHER = "other", _("Other")


class Lot(models.Model):
    """A lot of the état descriptif de division, numbered within its residence."""

    residence = models.ForeignKey(
        Residence, on_delete=models.CASCADE, related_name="lots"
    )
    number = models.PositiveIntegerField(_("lot number"))
    kind = models.CharField(
        _("kind"), max_length=20, choices=LotKind.choices, default=LotKind.APARTMENT
    )
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    building = models.CharField(_("building / staircase"), max_length=60, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["residence", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["residence", "number"], name="lot_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return _("Lot %(number)s") % {"number": self.number}


class LotShare(models.Model):
    """A lot's tantièmes (integer units) in one allocation key."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="shares")
    key = models.ForeignKey(
        AllocationKey, on_delete=models.CASCADE, related_name="shares"
    )
    units = models.PositiveIntegerField(_("tantièmes"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tantièmes")
        verbose_name_plural = _("tantièmes")
        constraints = [
            models.UniqueConstraint(fields=["lot", "key"], name="lot_share_unique"),
            models.CheckConstraint(condition=Q(units__gt=0), name="lot_share_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.lot} · {self.key}: {self.units}"


class Role(models.TextChoices):
    """Every role the access policy knows. Residents hold the first four through a
    Membership; the syndic roles come from SyndicEmployee."""

    OWNER = "owner", _("Co-owner")
    TENANT = "tenant", _("Tenant")
    COUNCIL_MEMBER = "council_member", _("Council member")
    COUNCIL_PRESIDENT = "council_president", _("Council president")
    SYNDIC_MANAGER = SyndicRole.MANAGER.value, SyndicRole.MANAGER.label
    SYNDIC_STAFF = SyndicRole.STAFF.value, SyndicRole.STAFF.label


RESIDENT_ROLES = (Role.OWNER, Role.TENANT, Role.COUNCIL_MEMBER, Role.COUNCIL_PRESIDENT)


class MembershipStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    BLOCKED = "blocked", _("Blocked")
    LEFT = "left", _("Left")


class Membership(models.Model):
    """A person's place in a residence: role, lots, and whether access is granted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    residence = models.ForeignKey(
        Residence, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=[(r.value, r.label) for r in RESIDENT_ROLES],
        default=Role.OWNER,
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MembershipStatus.choices,
        default=MembershipStatus.PENDING,
    )
    lots = models.ManyToManyField(Lot, verbose_name=_("lots"), blank=True)
    since = models.DateField(_("since"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    history = HistoricalRecords(m2m_fields=[lots])

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["residence", "user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "residence"], name="membership_unique"
            ),
            models.UniqueConstraint(
                fields=["residence"],
                condition=Q(role="council_president", status="active"),
                name="one_active_council_president",
            ),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in RESIDENT_ROLES]),
                name="membership_resident_role",
            ),
        ]
        indexes = [models.Index(fields=["residence", "status"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.residence} ({self.get_role_display()})"


class Invitation(models.Model):
    """An emailed, signed, expiring, single-use offer to join a residence."""

    residence = models.ForeignKey(
        Residence, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email"))
    role = models.CharField(
        _("role"), max_length=20, choices=[(r.value, r.label) for r in RESIDENT_ROLES]
    )
    lots = models.ManyToManyField(Lot, verbose_name=_("lots"), blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.residence}"


class Category(models.TextChoices):
    """Notification categories; later features add theirs here."""

    MEMBERSHIP = "membership", _("My membership and access")
    NEWS = "news", _("Announcements")
    WORKS = "works", _("Works in the residence")
    DOCUMENTS = "documents", _("Documents")
    INCIDENTS = "incidents", _("Incidents in the residence")
    REQUESTS = "requests", _("My requests to the syndic")
    CHARGES = "charges", _("Charges, calls for funds and payments")


class CommunicationPreference(models.Model):
    """Which channels a person wants for one category. No row means the defaults."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    email = models.BooleanField(_("email"), default=True)
    sms = models.BooleanField(_("SMS"), default=False)
    in_app = models.BooleanField(_("in the app"), default=True)

    class Meta:
        verbose_name = _("communication preference")
        verbose_name_plural = _("communication preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "category"], name="preference_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.category}"
