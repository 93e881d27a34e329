"""The syndic's reminder settings for a residence (saved by
`reminders.reminder_policy_save`, which enforces the model's rules)."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import ReminderPolicy

MAX_DAYS = 365


def _label(name: str):
    return capfirst(ReminderPolicy._meta.get_field(name).verbose_name)


def _days(name: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=_label(name),
        min_value=0,
        max_value=MAX_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class ReminderPolicyForm(forms.Form):
    enabled = forms.BooleanField(label=_label("enabled"), required=False)
    friendly_days_before = _days("friendly_days_before")
    late_days_after = _days("late_days_after")
    formal_days_after = _days("formal_days_after")
    council_sees_debtors = forms.BooleanField(
        label=_label("council_sees_debtors"),
        required=False,
        help_text=ReminderPolicy._meta.get_field("council_sees_debtors").help_text,
    )

    def clean(self):
        cleaned = super().clean()
        late, formal = cleaned.get("late_days_after"), cleaned.get("formal_days_after")
        if late is not None and formal is not None and formal <= late:
            self.add_error(
                "formal_days_after",
                _("The formal notice must come later than the reminder."),
            )
        return cleaned

    @classmethod
    def initial_from(cls, policy: ReminderPolicy) -> dict:
        return {name: getattr(policy, name) for name in cls.base_fields}
