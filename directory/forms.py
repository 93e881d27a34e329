from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Contact, ContactKind, DirectoryListing, InfoPage, ServiceContract


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["kind", "name", "organisation", "role", "phone", "email",
                  "address", "hours", "notes", "order"]  # fmt: skip
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }


class ContractForm(forms.ModelForm):
    class Meta:
        model = ServiceContract
        fields = ["provider", "kind", "reference", "starts_on", "ends_on",
                  "renewal_on", "notice"]  # fmt: skip
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "renewal_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers
        self.fields["provider"].help_text = _(
            "Add the company first as a contact of kind “Service provider”."
        )


class ListingForm(forms.ModelForm):
    label_suffix = ""  # the labels follow their checkboxes

    class Meta:
        model = DirectoryListing
        fields = ["listed", "show_email", "show_phone", "show_lots", "note"]


class InfoPageForm(forms.ModelForm):
    class Meta:
        model = InfoPage
        fields = ["title", "category", "body", "order"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)


def initial_kind(kind: str | None) -> str:
    """The kind a new contact starts with (links may ask for ?kind=provider)."""
    return kind if kind in ContactKind.values else ContactKind.OTHER
