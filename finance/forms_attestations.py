"""The forms of the documents page (one per kind of document) and of the public
check. They shape input; the dates' domain rules are in `attestations`."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .attestations import Period
from .models import AttestationKind

DATE = {"type": "date"}
MAX_PDF_BYTES = 5 * 1024 * 1024


def _date(label, **extra) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"), **extra
    )


class _DocumentForm(forms.Form):
    kind: str

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.kind)
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        for name in ("as_of", "end"):
            if cleaned.get(name) and cleaned[name] > today:
                self.add_error(name, _("The date cannot be after today."))
        return cleaned


class PaymentForm(_DocumentForm):
    kind = AttestationKind.PAYMENT
    as_of = _date(_("Up to date as of"))

    def period(self) -> Period:
        return Period(end=self.cleaned_data["as_of"])


class StatementForm(_DocumentForm):
    kind = AttestationKind.STATEMENT
    start = _date(_("From"))
    end = _date(_("To"))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The period must end after it starts."))
        return cleaned

    def period(self) -> Period:
        return Period(start=self.cleaned_data["start"], end=self.cleaned_data["end"])


class YearlyForm(_DocumentForm):
    kind = AttestationKind.YEARLY
    year = forms.IntegerField(
        label=_("Year"),
        min_value=2000,
        help_text=_("For the current year: up to today."),
    )

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if year > timezone.localdate().year:
            raise forms.ValidationError(_("This year has not begun yet."))
        return year

    def period(self) -> Period:
        year = self.cleaned_data["year"]
        return Period(start=date(year, 1, 1), end=date(year, 12, 31))


DOCUMENT_FORMS = {form.kind: form for form in (PaymentForm, StatementForm, YearlyForm)}


def document_forms(data=None, kind: str | None = None) -> dict[str, forms.Form]:
    """One form per kind, unbound but for the one submitted; fields start on sensible
    dates (today; this year so far; last year)."""
    today = timezone.localdate()
    initial = {
        AttestationKind.PAYMENT: {"as_of": today},
        AttestationKind.STATEMENT: {"start": date(today.year, 1, 1), "end": today},
        AttestationKind.YEARLY: {"year": today.year - 1},
    }
    return {
        name: form(data if name == kind else None, initial=initial[name])
        for name, form in DOCUMENT_FORMS.items()
    }


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=64,
        help_text=_("20 letters and digits, as printed on the document."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "characters",
            }
        ),
    )
    document = forms.FileField(
        label=_("The PDF file you were given"),
        required=False,
        help_text=_(
            "Give the file you received to check that it is exactly the one issued."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document and document.size > MAX_PDF_BYTES:
            raise forms.ValidationError(_("This file is too large to be one of ours."))
        return document
