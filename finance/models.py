"""Owner accounts as append-only ledgers, budgets and the calls for funds they produce.

A balance is always the sum of an account's entries, never a stored number. Entries
are never changed nor deleted (a database trigger refuses it): a correction is a new
entry that says which one it corrects.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from residents.models import AllocationKey, Lot, Residence

MONEY = {"max_digits": 12, "decimal_places": 2}


class Account(models.Model):
    """A co-owner's account in one residence."""

    residence = models.ForeignKey(
        Residence, on_delete=models.PROTECT, related_name="accounts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="accounts"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("owner account")
        verbose_name_plural = _("owner accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["residence", "owner"], name="one_account_per_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner} · {self.residence}"


class Budget(models.Model):
    """The yearly budget voted by the AG, per allocation key, and the fonds de
    travaux contribution."""

    residence = models.ForeignKey(
        Residence, on_delete=models.PROTECT, related_name="budgets"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    voted_on = models.DateField(_("voted by the AG on"), null=True, blank=True)
    works_fund = models.DecimalField(_("fonds de travaux contribution"), **MONEY)
    instalments = models.PositiveSmallIntegerField(
        _("instalments"),
        default=4,
        help_text=_("Four quarterly calls unless the AG decided otherwise."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["residence", "year"], name="one_budget_a_year"
            ),
            models.CheckConstraint(
                condition=Q(works_fund__gte=0), name="works_fund_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(instalments__in=[1, 2, 3, 4, 6, 12]),
                name="budget_instalments_divide_the_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.residence} {self.year}"


class BudgetLine(models.Model):
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="lines")
    key = models.ForeignKey(
        AllocationKey, verbose_name=_("allocation key"), on_delete=models.PROTECT
    )
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            models.UniqueConstraint(fields=["budget", "key"], name="budget_key_once"),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="budget_line_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.amount}"


class CallKind(models.TextChoices):
    PROVISION = "provision", _("Budget provision")
    WORKS = "works", _("Works (voted at an AG)")


class FundCall(models.Model):
    """One call for funds: its total is split exactly between the lots."""

    residence = models.ForeignKey(
        Residence, on_delete=models.PROTECT, related_name="fund_calls"
    )
    budget = models.ForeignKey(
        Budget, on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=CallKind.choices)
    label = models.CharField(_("label"), max_length=200)
    period = models.PositiveSmallIntegerField(_("instalment"), default=1)
    due_on = models.DateField(_("due on"))
    total = models.DecimalField(_("total"), **MONEY)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    works = models.ForeignKey(
        "WorksCall",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
    )

    class Meta:
        verbose_name = _("call for funds")
        verbose_name_plural = _("calls for funds")
        ordering = ["-due_on", "-pk"]
        constraints = [
            # Generating a budget's calls twice creates nothing new.
            models.UniqueConstraint(
                fields=["budget", "period"],
                condition=Q(budget__isnull=False),
                name="one_call_per_budget_instalment",
            ),
            models.UniqueConstraint(
                fields=["works", "period"],
                condition=Q(works__isnull=False),
                name="one_call_per_works_instalment",
            ),
        ]
        indexes = [models.Index(fields=["residence", "-due_on"])]

    def __str__(self) -> str:
        return self.label


class CallShare(models.Model):
    """A lot's share of a call on one key (its tantièmes in that key)."""

    call = models.ForeignKey(FundCall, on_delete=models.CASCADE, related_name="shares")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="call_shares")
    # Null for the fonds de travaux line (it follows the general key).
    key = models.ForeignKey(
        AllocationKey, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    works_fund = models.BooleanField(_("fonds de travaux"), default=False)
    units = models.PositiveIntegerField(_("tantièmes"))
    key_units = models.PositiveIntegerField(_("tantièmes of the key"))
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        verbose_name = _("share of a call")
        verbose_name_plural = _("shares of a call")
        indexes = [models.Index(fields=["call", "lot"])]

    def __str__(self) -> str:
        return f"{self.call} · {self.lot}: {self.amount}"


class EntryKind(models.TextChoices):
    CALL = "call", _("Call for funds")
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")
    ADJUSTMENT = "adjustment", _("Adjustment")
    REGULARISATION = "regularisation", _("Year-end regularisation")
    FEE = "fee", _("Recovery fee")


class Entry(models.Model):
    """One line of an account: positive is owed by the co-owner, negative is paid
    or credited. Never changed nor deleted (see the trigger in migration 0002)."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    label = models.CharField(_("label"), max_length=200)
    on = models.DateField(_("date"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    call = models.ForeignKey(
        FundCall, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    reason = models.CharField(_("why"), max_length=300, blank=True)
    # A unique reference from the source (a Stripe event, a bank line…): the same
    # payment is never posted twice.
    source_ref = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("account entry")
        verbose_name_plural = _("account entries")
        ordering = ["-on", "-pk"]
        indexes = [models.Index(fields=["account", "-on", "-id"])]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="entry_not_zero"),
            models.UniqueConstraint(
                fields=["account", "call"],
                condition=Q(kind="call"),
                name="one_call_entry_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.on} {self.label} {self.amount}"


# Payments (appended: the classes above are not changed).


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Card")
    SEPA = "sepa", _("SEPA Direct Debit")
    TRANSFER = "transfer", _("Bank transfer")
    CHEQUE = "cheque", _("Cheque")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Processing")
    SUCCEEDED = "succeeded", _("Received")
    FAILED = "failed", _("Failed")


class Payment(models.Model):
    """A co-owner's payment. Online ones are posted to the ledger only once a
    verified Stripe webhook says the money is there."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(
        _("method"),
        max_length=10,
        choices=PaymentMethod.choices,
        default=PaymentMethod.CARD,
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PaymentStatus.choices,
        default=PaymentStatus.PENDING,
    )
    stripe_session_id = models.CharField(
        max_length=255, unique=True, null=True, blank=True
    )
    stripe_session_url = models.URLField(max_length=1000, blank=True)
    stripe_payment_intent = models.CharField(max_length=255, null=True, blank=True)
    calls = models.ManyToManyField(
        FundCall, verbose_name=_("calls paid"), blank=True, related_name="payments"
    )
    # The minute it was asked for: a double click makes one pending payment.
    minute = models.DateTimeField()
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    succeeded_at = models.DateTimeField(_("received"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["account", "status", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payment_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["account", "amount", "minute"],
                condition=Q(status="pending"),
                name="one_pending_payment_a_minute",
            ),
            models.CheckConstraint(
                condition=Q(status="succeeded", succeeded_at__isnull=False)
                | ~Q(status="succeeded"),
                name="succeeded_payment_has_a_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} · {self.amount} € ({self.status})"


class StripeEvent(models.Model):
    """Every verified Stripe event, by its id: each is processed exactly once."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField()

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


# Exceptional calls, year-end regularisation (appended).


class WorksCall(models.Model):
    """Works voted at an AG, called on their own schedule (one FundCall per
    instalment, kind WORKS), split on the key the AG chose."""

    residence = models.ForeignKey(
        Residence, on_delete=models.PROTECT, related_name="works_calls"
    )
    label = models.CharField(_("works"), max_length=200)
    decided_on = models.DateField(_("voted by the AG on"))
    key = models.ForeignKey(
        AllocationKey, verbose_name=_("allocation key"), on_delete=models.PROTECT
    )
    total = models.DecimalField(_("total"), **MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("works call")
        verbose_name_plural = _("works calls")
        ordering = ["-decided_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__gt=0), name="works_call_total_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class YearClosing(models.Model):
    """The year's accounts approved by the AG: the actual expenses per key. Posting
    it compares each lot's actual share with the provisions called and posts the
    difference (one regularisation entry per co-owner)."""

    budget = models.OneToOneField(
        Budget, on_delete=models.PROTECT, related_name="closing"
    )
    approved_on = models.DateField(_("accounts approved by the AG on"))
    posted_at = models.DateTimeField(_("posted on"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("approved accounts")
        verbose_name_plural = _("approved accounts")

    def __str__(self) -> str:
        return str(self.budget)


class ClosingLine(models.Model):
    closing = models.ForeignKey(
        YearClosing, on_delete=models.CASCADE, related_name="lines"
    )
    key = models.ForeignKey(
        AllocationKey, verbose_name=_("allocation key"), on_delete=models.PROTECT
    )
    actual = models.DecimalField(_("actual expenses"), **MONEY)

    class Meta:
        verbose_name = _("actual expenses on a key")
        verbose_name_plural = _("actual expenses per key")
        constraints = [
            models.UniqueConstraint(fields=["closing", "key"], name="closing_key_once"),
            models.CheckConstraint(
                condition=Q(actual__gte=0), name="closing_actual_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.actual}"


# Bank statements (appended).


class BankFormat(models.TextChoices):
    CSV = "csv", "CSV"
    CAMT053 = "camt053", "CAMT.053"
    OFX = "ofx", "OFX"


class BankImport(models.Model):
    """One bank statement file imported by the syndic."""

    residence = models.ForeignKey(
        Residence, on_delete=models.PROTECT, related_name="bank_imports"
    )
    file_name = models.CharField(_("file"), max_length=255)
    format = models.CharField(_("format"), max_length=10, choices=BankFormat.choices)
    sha256 = models.CharField(max_length=64)
    line_count = models.PositiveIntegerField(_("lines read"), default=0)
    new_count = models.PositiveIntegerField(_("new lines"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)

    class Meta:
        verbose_name = _("bank statement import")
        verbose_name_plural = _("bank statement imports")
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name


class BankLineStatus(models.TextChoices):
    UNMATCHED = "unmatched", _("To match")
    PROPOSED = "proposed", _("Match proposed")
    POSTED = "posted", _("Posted")
    IGNORED = "ignored", _("Ignored")


class BankLine(models.Model):
    """A credit line of a bank statement. Its fingerprint (the bank's transaction
    id, else a hash of its content and rank) is unique per residence: importing the
    same statement again adds nothing."""

    residence = models.ForeignKey(
        Residence, on_delete=models.PROTECT, related_name="bank_lines"
    )
    statement = models.ForeignKey(
        BankImport, on_delete=models.PROTECT, related_name="lines"
    )
    fingerprint = models.CharField(max_length=128)
    booked_on = models.DateField(_("booked on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    label = models.CharField(_("label"), max_length=500, blank=True)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    counterparty = models.CharField(_("from"), max_length=200, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=BankLineStatus.choices,
        default=BankLineStatus.UNMATCHED,
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("co-owner account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_lines",
    )
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_line",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["booked_on", "pk"]
        indexes = [models.Index(fields=["residence", "status", "booked_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["residence", "fingerprint"], name="bank_line_once"
            ),
            models.CheckConstraint(
                condition=~Q(status="posted") | Q(payment__isnull=False),
                name="posted_bank_line_has_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} {self.label}"


# Reminders (appended).


class ReminderPolicy(models.Model):
    """A residence's reminder settings (the syndic's choice): none is sent while
    disabled."""

    residence = models.OneToOneField(
        Residence, on_delete=models.CASCADE, related_name="reminder_policy"
    )
    enabled = models.BooleanField(_("send reminders"), default=True)
    friendly_days_before = models.PositiveSmallIntegerField(
        _("friendly reminder, days before the due date"), default=7
    )
    late_days_after = models.PositiveSmallIntegerField(
        _("reminder, days after the due date"), default=10
    )
    formal_days_after = models.PositiveSmallIntegerField(
        _("formal notice (mise en demeure), days after the due date"), default=30
    )
    council_sees_debtors = models.BooleanField(
        _("the council sees the names of co-owners in arrears"),
        default=False,
        help_text=_("Only if the residence's rules allow it."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reminder settings")
        verbose_name_plural = _("reminder settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(formal_days_after__gt=models.F("late_days_after")),
                name="formal_notice_after_reminder",
            ),
        ]

    def __str__(self) -> str:
        return str(self.residence)


class ReminderStep(models.TextChoices):
    FRIENDLY = "friendly", _("Friendly reminder")
    LATE = "late", _("Payment reminder")
    FORMAL = "formal", _("Formal notice (mise en demeure)")


class Reminder(models.Model):
    """One reminder step sent for one call to one co-owner: recorded once (the
    unique constraint makes a second run of the daily job send nothing)."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="reminders"
    )
    call = models.ForeignKey(FundCall, on_delete=models.PROTECT, related_name="+")
    step = models.CharField(_("step"), max_length=10, choices=ReminderStep.choices)
    sent_on = models.DateField(_("sent on"))
    amount = models.DecimalField(_("amount claimed"), **MONEY)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-sent_on", "-pk"]
        indexes = [models.Index(fields=["account", "-sent_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "call", "step"], name="one_reminder_step_per_call"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} · {self.call} · {self.step}"


# Attestations (appended).


class AttestationKind(models.TextChoices):
    PAYMENT = "payment", _("Attestation of payment of charges")
    STATEMENT = "statement", _("Account statement")
    YEARLY = "yearly", _("Yearly summary")


class Attestation(models.Model):
    """A PDF issued to a co-owner: its code lets anyone check on a public page that
    it is genuine and when it was issued (nothing else is shown there)."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="attestations"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AttestationKind.choices)
    code = models.CharField(_("verification code"), max_length=32, unique=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField()
    # The figures stated, frozen when issued, and the hash of the PDF given out.
    figures = models.JSONField(default=dict)
    sha256 = models.CharField(max_length=64, blank=True)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("attestation")
        verbose_name_plural = _("attestations")
        ordering = ["-issued_at", "-pk"]
        indexes = [models.Index(fields=["account", "-issued_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code}"
