from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import RESIDENT_ROLES, Category, Lot, Role


class JoinRequestForm(forms.Form):
    join_code = forms.CharField(
        label=_("Residence code"),
        max_length=12,
        help_text=_("The code your syndic or council gave you, e.g. 7KQ4MZ2P."),
    )
    role = forms.ChoiceField(
        label=_("I am"),
        choices=[
            (Role.OWNER.value, _("a co-owner")),
            (Role.TENANT.value, _("a tenant")),
        ],
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label=_("Message to the syndic and council"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Your lot number(s) help them accept you quickly."),
    )


class LotChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Lot) -> str:
        return f"{obj} · {obj.get_kind_display()}" + (
            f" · {obj.building}" if obj.building else ""
        )


class MembershipDecisionForm(forms.Form):
    """Accepting a request or changing a member: role and lots in this residence."""

    role = forms.ChoiceField(
        label=_("Role"), choices=[(r.value, r.label) for r in RESIDENT_ROLES]
    )
    lots = LotChoiceField(
        label=_("Lots"),
        queryset=Lot.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, residence, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in roles]
        self.fields["lots"].queryset = residence.lots.order_by("number")


class InvitationForm(MembershipDecisionForm):
    email = forms.EmailField(label=_("Email"))

    field_order = ["email", "role", "lots"]


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class PreferencesForm(forms.Form):
    """One checkbox per category and channel, named <category>__<channel>."""

    CHANNELS = (("email", _("Email")), ("sms", _("SMS")), ("in_app", _("In the app")))

    email_digest = forms.BooleanField(
        label=_("One email a day listing the news, instead of one email each"),
        required=False,
    )

    def __init__(self, *args, table: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for row in table:
            category = row["category"]
            fields = []
            for channel, label in self.CHANNELS:
                name = f"{category.value}__{channel}"
                self.fields[name] = forms.BooleanField(
                    label=label, required=False, initial=row[channel]
                )
                fields.append(self[name])
            self.rows.append({"category": category, "fields": fields})

    def choices(self) -> dict[str, dict[str, bool]]:
        result: dict[str, dict[str, bool]] = {}
        for category in Category:
            result[category.value] = {
                channel: self.cleaned_data[f"{category.value}__{channel}"]
                for channel, _label in self.CHANNELS
            }
        return result
