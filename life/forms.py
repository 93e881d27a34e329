from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Announcement, Event


class AnnouncementForm(forms.ModelForm):
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

    def clean(self):
        data = super().clean()
        start, end = data.get("publish_at"), data.get("expires_at")
        if start and end and end <= start:
            self.add_error("expires_at", _("The end must come after the publication."))
        return data


class EventForm(forms.ModelForm):
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

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", _("The end must come after the start."))
        return data
