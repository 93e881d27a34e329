"""The syndic's bank forms: a statement to import, a line's account, a payment
typed in by hand, and the queue's filter."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .banking import MANUAL_METHODS, TO_REVIEW
from .models import BankLineStatus, PaymentMethod

STATEMENT_MAX_BYTES = 5 * 1024 * 1024  # a year of a residence's account is ~100 kB


def statement_max_bytes() -> int:
    return getattr(settings, "COPRO_BANK_STATEMENT_MAX_BYTES", STATEMENT_MAX_BYTES)


def account_label(account) -> str:
    """A co-owner as the syndic picks them: name and email (two Duponts differ)."""
    owner = account.owner
    name = owner.get_full_name()
    return f"{name} ({owner.email})" if name else owner.email


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return account_label(obj)


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Bank statement"),
        help_text=_(
            "A CSV export of the account (as the bank's website gives it), a "
            "CAMT.053 (XML) or an OFX file."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.txt,.xml,.053,.ofx,.qfx,text/csv,text/xml"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = statement_max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large (%(size)s at most).")
                % {"size": filesizeformat(limit)}
            )
        return upload


class LineAccountForm(forms.Form):
    account = AccountChoiceField(
        label=_("Co-owner account"),
        queryset=None,
        empty_label=_("— Choose the co-owner —"),
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts


class ManualPaymentForm(forms.Form):
    account = AccountChoiceField(
        label=_("Co-owner"), queryset=None, empty_label=_("— Choose —")
    )
    amount = forms.DecimalField(
        label=_("Amount (€)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    method = forms.TypedChoiceField(
        label=_("Received by"),
        choices=[(m.value, m.label) for m in MANUAL_METHODS],
        initial=PaymentMethod.TRANSFER,
        widget=forms.RadioSelect,
    )
    on = forms.DateField(
        label=_("Received on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=100,
        help_text=_("The cheque number, or the transfer's reference."),
    )
    # Sent back with the form: a double submission records one payment.
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())
            self.initial.setdefault("on", timezone.localdate())

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return on


STATUS_CHOICES = [
    (TO_REVIEW, _("To review")),
    *BankLineStatus.choices,
    ("all", _("All lines")),
]


class LineFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Show"), choices=STATUS_CHOICES, required=False)

    def status_value(self) -> str:
        if self.is_valid() and self.cleaned_data["status"]:
            return self.cleaned_data["status"]
        return TO_REVIEW
