from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from residents.models import Syndic


class ResidenceCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=300)
    postal_code = forms.CharField(label=_("Postal code"), max_length=10, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    lot_count = forms.IntegerField(
        label=_("Number of lots"), min_value=0, max_value=5000, initial=0
    )
    president_email = forms.EmailField(
        label=_("Council president's email"),
        required=False,
        help_text=_("They receive an invitation to join as council president."),
    )
    syndic = forms.ModelChoiceField(label=_("Syndic"), queryset=Syndic.objects.none())

    def __init__(self, *args, syndics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["syndic"].queryset = syndics
        if syndics.count() == 1:
            self.fields["syndic"].initial = syndics.first()


class LotImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: number, kind, floor, building, owner_email, then one column per "
            "allocation key (e.g. generales, ascenseur) with the lot's tantièmes."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.COPRO_LOT_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large (%(size)s at most).")
                % {"size": filesizeformat(limit)}
            )
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(_("Choose a .csv file."))
        data = upload.read()
        if b"\x00" in data:
            raise forms.ValidationError(_("The file is not a text CSV file."))
        return data
