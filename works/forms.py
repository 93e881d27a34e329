from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from copro.lib.uploads import (
    MultipleFileField,
    MultipleFileInput,
    clean_each,
    clean_image,
)

from .models import PERCENT, Works, WorksStatus
from .services import MAX_PHOTOS

DATE = {"type": "date"}


class WorksForm(forms.ModelForm):
    class Meta:
        model = Works
        fields = [
            "title",
            "description",
            "status",
            "progress",
            "contractor",
            "budget",
            "voted_at_assembly",
            "voted_on",
            "starts_on",
            "ends_on",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 8}),
            "progress": forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
            "budget": forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
            "voted_on": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
            "starts_on": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The expected end must come after the start."))
        return data


class WorksUpdateForm(forms.Form):
    """An update: its text, the works' new progress and status, and photos."""

    text = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 6})
    )
    progress = forms.IntegerField(
        label=_("Progress after this update (%)"),
        required=False,
        validators=PERCENT,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Unchanged")), *WorksStatus.choices],
    )
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        max_files=MAX_PHOTOS,
        help_text=_(
            "Up to 10 photos (JPEG, PNG or WebP); their location data is removed."
        ),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    caption = forms.CharField(
        label=_("Description of the photos"),
        required=False,
        max_length=200,
        help_text=_(
            "For people who cannot see them, e.g. “Scaffolding on the south facade”."
        ),
    )

    def clean_photos(self):
        """Each photo is checked by its content; one bad photo refuses them all."""
        return clean_each(self.cleaned_data.get("photos"), clean_image)


class FollowForm(forms.Form):
    action = forms.ChoiceField(choices=[("follow", "follow"), ("unfollow", "unfollow")])
