from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from copro.lib.uploads import MultipleFileField, MultipleFileInput

from .models import Album, Photo

MAX_PHOTOS_PER_UPLOAD = 20


class AlbumForm(forms.ModelForm):
    class Meta:
        model = Album
        fields = ["title", "description", "taken_on", "council_only"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "taken_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


class UploadForm(forms.Form):
    photos = MultipleFileField(
        label=_("Photos"),
        max_files=MAX_PHOTOS_PER_UPLOAD,
        help_text=_(
            "JPEG, PNG or WebP, up to 20 at once. Location and camera details are "
            "removed from the files."
        ),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class PhotoForm(forms.ModelForm):
    make_cover = forms.BooleanField(label=_("Use as the album's cover"), required=False)

    class Meta:
        model = Photo
        fields = ["caption"]
