"""The syndic's forms for works calls (their schedule) and for the approved accounts
of a year (the actual expenses per allocation key)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from .works_calls import MAX_INSTALMENTS, Instalment, equal_schedule

# Custom schedules are typed row by row; longer ones are equal instalments.
CUSTOM_ROWS = 12
EVERY_CHOICES = [
    (1, _("every month")),
    (2, _("every two months")),
    (3, _("every three months")),
    (4, _("every four months")),
    (6, _("every six months")),
    (12, _("every year")),
]


def _money(label, *, required=True, **extra) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=12,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        **extra,
    )


def _date(label, *, required=True) -> forms.DateField:
    # A date input reads and shows ISO dates whatever the language.
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class InstalmentRow(forms.Form):
    """One row of a custom schedule; a blank row is ignored."""

    due_on = _date(_("Due on"), required=False)
    value = _money(_("Amount or percentage"), required=False)

    def clean(self):
        data = super().clean()
        if (data.get("due_on") is None) != (data.get("value") is None):
            if not self.errors:
                raise forms.ValidationError(_("Give both the date and the amount."))
        return data


InstalmentRows = forms.formset_factory(
    InstalmentRow, extra=CUSTOM_ROWS, max_num=CUSTOM_ROWS, absolute_max=CUSTOM_ROWS
)


class WorksCallForm(forms.Form):
    EQUAL, CUSTOM = "equal", "custom"
    AMOUNT, PERCENT = "amount", "percent"

    label = forms.CharField(label=_("Works"), max_length=200)
    decided_on = _date(_("Voted by the AG on"))
    key = forms.ModelChoiceField(
        label=_("Allocation key"), queryset=None, empty_label=None
    )
    total = _money(_("Total (€)"), min_value=Decimal("0.01"))
    mode = forms.ChoiceField(
        label=_("Schedule"),
        choices=[
            (EQUAL, _("Equal instalments")),
            (CUSTOM, _("My own dates and amounts")),
        ],
        initial=EQUAL,
        widget=forms.RadioSelect,
    )
    count = forms.IntegerField(
        label=_("Number of instalments"),
        min_value=1,
        max_value=MAX_INSTALMENTS,
        required=False,
    )
    first_due = _date(_("First due on"), required=False)
    every = forms.TypedChoiceField(
        label=_("Then"), choices=EVERY_CHOICES, coerce=int, initial=3, required=False
    )
    unit = forms.ChoiceField(
        label=_("The rows give"),
        choices=[
            (AMOUNT, _("amounts in €")),
            (PERCENT, _("percentages of the total")),
        ],
        initial=AMOUNT,
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, keys, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].queryset = keys
        # Rows are bound only when the page sent them (their management form).
        sent = "rows-TOTAL_FORMS" in self.data
        self.rows = InstalmentRows(self.data if sent else None, prefix="rows")

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if self.is_bound and self.cleaned_data.get("mode") == self.CUSTOM:
            valid = self.rows.is_valid() and valid
        return valid

    def clean(self):
        data = super().clean()
        if data.get("mode") == self.EQUAL:
            for name in ("count", "first_due", "every"):
                if data.get(name) in (None, ""):
                    self.add_error(name, _("Needed for equal instalments."))
        elif data.get("mode") == self.CUSTOM and not data.get("unit"):
            self.add_error("unit", _("Say what the rows give."))
        return data

    def schedule(self) -> list[Instalment]:
        """The schedule typed (valid form): checked and turned into amounts by the
        service."""
        data = self.cleaned_data
        if data["mode"] == self.EQUAL:
            return equal_schedule(
                data["total"], data["count"], data["first_due"], data["every"]
            )
        percent = data["unit"] == self.PERCENT
        return [
            Instalment(row["due_on"], percent=row["value"])
            if percent
            else Instalment(row["due_on"], row["value"])
            for row in self.rows.cleaned_data
            if row.get("due_on") is not None
        ]


class ClosingForm(forms.Form):
    """The approval date and the actual expenses of each key. Keys of the budget
    are required (a forgotten one would refund every provision); others default
    to no expense."""

    approved_on = _date(_("Accounts approved by the AG on"))

    def __init__(self, *args, keys, budgeted: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.keys = list(keys)
        for key in self.keys:
            planned = budgeted.get(key.pk)
            self.fields[self.key_field(key)] = _money(
                _("%(key)s: actual expenses (€)") % {"key": key.name},
                required=planned is not None,
                min_value=Decimal("0"),
                help_text=(
                    _("Budget: %(amount)s €") % {"amount": formats.localize(planned)}
                    if planned is not None
                    else _("Not in the budget: leave blank if nothing was spent.")
                ),
            )

    @staticmethod
    def key_field(key) -> str:
        return f"key_{key.pk}"

    def key_fields(self):
        return [self[self.key_field(key)] for key in self.keys]

    def actuals(self) -> dict[int, Decimal]:
        return {
            key.pk: self.cleaned_data.get(self.key_field(key)) or Decimal("0")
            for key in self.keys
        }
