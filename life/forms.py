from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from copro.lib.uploads import (
    CleanAttachment,
    MultipleFileField,
    clean_attachment,
    clean_each,
)

from .models import Announcement, AnnouncementAttachment, Event, EventKind


class EndAfterStartMixin:
    """A form whose `end_field` must come after its `start_field`."""

    start_field: str
    end_field: str
    end_message: str

    def clean(self):
        data = super().clean()
        start, end = data.get(self.start_field), data.get(self.end_field)
        if start and end and end <= start:
            self.add_error(self.end_field, self.end_message)
        return data


class AnnouncementForm(EndAfterStartMixin, forms.ModelForm):
    start_field, end_field = "publish_at", "expires_at"
    end_message = _("The end must come after the publication.")

    uploads = MultipleFileField(
        label=_("Photos and documents"),
        required=False,
        max_files=10,
        help_text=_("PDF, JPEG, PNG or WebP; up to 10 files of 20 MB each."),
    )
    remove_attachments = forms.ModelMultipleChoiceField(
        label=_("Remove these files"),
        queryset=AnnouncementAttachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["remove_attachments"].queryset = self.instance.attachments.all()
        else:
            del self.fields["remove_attachments"]

    def clean_uploads(self) -> list[CleanAttachment]:
        """Check every file by its content; one message per refused file."""
        return clean_each(self.cleaned_data.get("uploads"), clean_attachment)

    class Meta:
        model = Announcement
        fields = [
            "title",
            "body",
            "audience",
            "pinned",
            "urgent",
            "publish_at",
            "expires_at",
        ]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 8}),
            "publish_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "expires_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }


class EventForm(EndAfterStartMixin, forms.ModelForm):
    start_field, end_field = "starts_at", "ends_at"
    end_message = _("The end must come after the start.")

    def clean(self):
        data = super().clean()
        if data.get("kind") == EventKind.COUNCIL:
            # Council meetings are always for the council only: no need to tick it
            # (and the model's constraint would refuse the form otherwise).
            data["council_only"] = True
        return data

    class Meta:
        model = Event
        fields = ["kind", "title", "starts_at", "ends_at", "place", "description",
                  "council_only"]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "ends_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }
