from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from copro.lib.uploads import (
    MultipleFileField,
    MultipleFileInput,
    clean_each,
    clean_image,
)

from .models import INCIDENT_CATEGORIES, REQUEST_CATEGORIES, Priority, Ticket
from .services import MAX_PHOTOS


class TicketForm(forms.ModelForm):
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        max_files=MAX_PHOTOS,
        help_text=_(
            "Up to 6 photos (JPEG, PNG or WebP); their location data is removed."
        ),
        widget=MultipleFileInput(
            attrs={
                "accept": "image/jpeg,image/png,image/webp",
                "capture": "environment",
            }
        ),
    )

    class Meta:
        model = Ticket
        fields = ["category", "title", "location", "description", "urgency", "private"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "urgency": forms.RadioSelect,
        }

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        categories = INCIDENT_CATEGORIES if kind == "incident" else REQUEST_CATEGORIES
        self.fields["category"].choices = [
            ("", "—"),
            *((c.value, c.label) for c in categories),
        ]
        if kind == "incident":
            del self.fields["private"]
            self.fields["urgency"].help_text = _(
                "Urgent: a water leak, someone stuck in the lift, no heating in winter."
            )
        else:
            del self.fields["urgency"]
            del self.fields["location"]
            self.fields["title"].label = _("Subject")
            self.fields["description"].label = _("Your request")

    def clean_photos(self):
        return clean_each(self.cleaned_data.get("photos"), clean_image)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Add a comment"), widget=forms.Textarea(attrs={"rows": 3})
    )
    internal = forms.BooleanField(
        label=_("Internal note (council and syndic only)"), required=False
    )


class MoveForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"))
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(s.value, s.label) for s in targets]


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=[("", "—"), *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment on the handling"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MergeForm(forms.Form):
    into = forms.IntegerField(label=_("Number of the incident it duplicates"))
