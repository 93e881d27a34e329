"""The syndic's budget form: one amount per allocation key of the residence, the
fonds de travaux contribution, the instalments and the date of the AG's vote."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .allocation import percent_of

INSTALMENT_CHOICES = [
    (1, _("1 (yearly)")),
    (2, _("2 (half-yearly)")),
    (3, _("3 (every four months)")),
    (4, _("4 (quarterly)")),
    (6, _("6 (every two months)")),
    (12, _("12 (monthly)")),
]
WORKS_FUND_PERCENT = Decimal("5")


def _money(label, **extra) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        localize=True,
        **extra,
    )


class BudgetForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    voted_on = forms.DateField(
        label=_("Voted by the AG on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    works_fund = _money(_("Fonds de travaux contribution (€)"))
    instalments = forms.TypedChoiceField(
        label=_("Instalments"),
        choices=INSTALMENT_CHOICES,
        coerce=int,
        initial=4,
        help_text=_("Four quarterly calls unless the AG decided otherwise."),
    )

    def __init__(self, *args, keys, year_fixed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.keys = list(keys)
        for key in self.keys:
            self.fields[self.key_field(key)] = _money(
                _("%(key)s (€ a year)") % {"key": key.name},
                required=False,
                initial=Decimal("0.00"),
            )
        if year_fixed:
            self.fields["year"].disabled = True
        # Keys first, as the budget is read: the lines, then the fund.
        order = ["year", *(self.key_field(k) for k in self.keys)]
        self.order_fields([*order, "works_fund", "instalments", "voted_on"])

    @staticmethod
    def key_field(key) -> str:
        return f"key_{key.pk}"

    def key_fields(self):
        return [self[self.key_field(key)] for key in self.keys]

    def lines(self) -> dict[int, Decimal]:
        """The amount of each key id (a blank amount is zero)."""
        return {
            key.pk: self.cleaned_data.get(self.key_field(key)) or Decimal("0")
            for key in self.keys
        }

    def budget_total(self) -> Decimal:
        return sum(self.lines().values(), Decimal("0.00"))

    def works_fund_minimum(self) -> Decimal:
        return percent_of(self.budget_total(), WORKS_FUND_PERCENT)
