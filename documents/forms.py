from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from copro.lib.uploads import (
    CleanDocument,
    MultipleFileField,
    clean_document,
    clean_each,
)
from residents.models import Lot, User

from .categories import Category
from .models import Document, Visibility


def _clean_all(uploads) -> list[CleanDocument]:
    """Check every file by content; one message per refused file, naming it."""
    return clean_each(uploads, clean_document)


class TagsField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        return [t for t in (part.strip() for part in value.split(",")) if t]

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value


class MetadataForm(forms.ModelForm):
    """Category, date, visibility and who is named; shared by upload and edit."""

    tags = TagsField(
        label=_("Tags"),
        required=False,
        help_text=_("Separated by commas, e.g. lift, 2026."),
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Named members"), queryset=User.objects.none(), required=False
    )
    lots = forms.ModelMultipleChoiceField(
        label=_("Named lots"), queryset=Lot.objects.none(), required=False
    )

    class Meta:
        model = Document
        fields = ["title", "category", "date", "description", "tags", "visibility"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, residence, **kwargs):
        super().__init__(*args, **kwargs)
        from residents.access import active_memberships

        self.fields["members"].queryset = User.objects.filter(
            pk__in=active_memberships().filter(residence=residence).values("user_id")
        ).order_by("last_name", "first_name", "email")
        self.fields["lots"].queryset = residence.lots.order_by("number")
        self.fields["members"].help_text = _(
            "Only for “Named members or lots”: who may see it."
        )
        if self.instance.pk:
            self.initial.setdefault("members", list(self.instance.members.all()))
            self.initial.setdefault("lots", list(self.instance.lots.all()))

    def clean(self):
        data = super().clean()
        if data.get("visibility") == Visibility.NAMED and not (
            data.get("members") or data.get("lots")
        ):
            self.add_error(
                "members", _("Name at least one member or lot who may see it.")
            )
        return data


class UploadForm(MetadataForm):
    files = MultipleFileField(
        label=_("Files"),
        max_files=20,
    )

    field_order = ["files", "title", "category", "date", "description", "tags"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per form, in the reader's language (not once, at import).
        self.fields["files"].help_text = _(
            "PDF, images or office files; up to 20 files of %(size)s each. "
            "Each file becomes a document with the details below."
        ) % {"size": filesizeformat(settings.COPRO_DOCUMENT_MAX_BYTES)}
        self.fields["title"].required = False
        self.fields["title"].help_text = _(
            "Optional: by default, the name of the file."
        )

    def clean_files(self) -> list[CleanDocument]:
        return _clean_all(self.cleaned_data.get("files"))


class VersionForm(forms.Form):
    file = forms.FileField(label=_("New version"))
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)

    def clean_file(self) -> CleanDocument:
        return _clean_all([self.cleaned_data["file"]])[0]


class PersonalUploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    title = forms.CharField(label=_("Title"), max_length=200, required=False)

    def clean_file(self) -> CleanDocument:
        return _clean_all([self.cleaned_data["file"]])[0]


CATEGORY_CHOICES = [("", _("All categories")), *Category.choices]
KIND_CHOICES = [
    ("", _("All types")),
    ("pdf", "PDF"),
    ("image", _("Image")),
    ("word", _("Text document")),
    ("spreadsheet", _("Spreadsheet")),
    ("presentation", _("Presentation")),
]
