"""Back-office screens for the library and the syndic API tokens.

Documents: syndic staff upload several files at once into a residence they manage
(the same form and service as the site) and edit metadata through
`services.document_update`. Personal documents (with an owner) are never listed nor
opened here, not even by platform admins: nobody but their owner may see them.

API tokens: a syndic's managers create them for their syndic; the full token is
shown once, on the page that answers the creation, and only its hash is kept.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from backoffice.mixins import ReadOnlyMixin, ResidenceScopedAdmin, scoped_residences
from backoffice.sites import backoffice_site
from residents.access import Perm
from residents.models import Syndic, SyndicEmployee, SyndicRole

from . import services
from .api import api_token_create, api_token_revoke
from .forms import MetadataForm, UploadForm
from .models import ApiToken, Document, DocumentVersion

# --- Documents -----------------------------------------------------------------------


def _metadata(form: forms.Form) -> dict:
    data = {k: form.cleaned_data[k] for k in MetadataForm.Meta.fields}
    data["members"] = list(form.cleaned_data["members"])
    data["lots"] = list(form.cleaned_data["lots"])
    return data


class DocumentChangeForm(MetadataForm):
    """The site's metadata form, bound to the document's own residence."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, residence=kwargs["instance"].residence, **kwargs)


class ArchivedFilter(admin.SimpleListFilter):
    title = gettext_lazy("archived")
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("no", _("In the library")), ("yes", _("In the archive"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(archived_at__isnull=self.value() == "no")
        return queryset


class VersionInline(ReadOnlyMixin, admin.TabularInline):
    """Versions are read-only: a new one comes from an upload, never an edit."""

    model = DocumentVersion
    fields = ["number", "file_link", "kind", "size", "note", "uploaded_by"]
    readonly_fields = fields
    fk_name = "document"
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("document__residence", "uploaded_by")
        )

    def has_view_permission(self, request, obj=None):
        return True  # the parent admin already scoped the document

    @admin.display(description=gettext_lazy("file"))
    def file_link(self, version: DocumentVersion) -> str:
        url = reverse(
            "documents:download",
            args=[version.document.residence.slug, version.document_id, version.number],
        )
        return format_html('<a href="{}">{}</a>', url, version.original_name)


@admin.register(Document, site=backoffice_site)
class DocumentAdmin(ResidenceScopedAdmin):
    perm = Perm.MANAGE_DOCUMENTS
    form = DocumentChangeForm
    list_display = [
        "title",
        "residence",
        "category",
        "visibility",
        "date",
        "kind",
        "is_archived",
    ]
    list_filter = [
        ("residence", admin.RelatedOnlyFieldListFilter),
        "category",
        "visibility",
        ArchivedFilter,
    ]
    list_select_related = ["residence", "current_version"]
    search_fields = ["title"]
    date_hierarchy = "date"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "category",
                    "date",
                    "description",
                    "tags",
                    "visibility",
                    "members",
                    "lots",
                ]
            },
        ),
        (
            gettext_lazy("Record"),
            {"fields": ["residence", "created_by", "created_at", "archived_at"]},
        ),
    ]
    readonly_fields = ["residence", "created_by", "created_at", "archived_at"]
    inlines = [VersionInline]
    actions = ["archive_documents", "restore_documents"]
    history_list_display = ["visibility", "category"]

    def get_queryset(self, request):
        # Personal spaces stay out of the back office, for everyone.
        return super().get_queryset(request).filter(owner__isnull=True)

    def _allowed(self, request, obj=None) -> bool:
        # Also guards the history screens, which find objects without get_queryset.
        if obj is not None and obj.owner_id is not None:
            return False
        return super()._allowed(request, obj)

    @admin.display(description=gettext_lazy("type"), ordering="current_version__kind")
    def kind(self, document: Document) -> str:
        return document.current_version.kind if document.current_version else "—"

    @admin.display(description=gettext_lazy("archived"), boolean=True)
    def is_archived(self, document: Document) -> bool:
        return document.archived_at is not None

    def add_view(self, request: HttpRequest, form_url="", extra_context=None):
        """Upload several files at once into one of the residences in scope."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        residences = scoped_residences(request, self.perm).order_by("name")
        chosen = request.POST.get("residence") or request.GET.get("residence")
        if chosen:
            residence = (
                residences.filter(pk=chosen).first() if chosen.isdigit() else None
            )
            if residence is None:
                raise Http404
        else:
            residence = residences.first()
            if residence is None:
                raise PermissionDenied
        form = UploadForm(
            request.POST or None, request.FILES or None, residence=residence
        )
        if request.method == "POST" and form.is_valid():
            try:
                created = services.documents_upload(
                    residence=residence,
                    by=request.user,
                    uploads=form.cleaned_data["files"],
                    **_metadata(form),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s document added to %(residence)s.",
                        "%(count)s documents added to %(residence)s.",
                        len(created),
                    )
                    % {"count": len(created), "residence": residence.name},
                )
                changelist = reverse("backoffice:documents_document_changelist")
                return redirect(f"{changelist}?residence__id__exact={residence.pk}")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Add documents"),
            "opts": self.opts,
            "form": form,
            "residence": residence,
            "residences": residences,
            "media": self.media + form.media,
        }
        return render(request, "admin/documents/document/upload.html", context)

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        try:
            services.document_update(document=obj, **_metadata(form))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))

    def save_related(self, request, form, formsets, change):
        """Named members and lots are set by the service in save_model; the
        versions inline is read-only (saving it changes nothing)."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description=gettext_lazy("Archive the selected documents"))
    def archive_documents(self, request, queryset: QuerySet[Document]):
        count = 0
        for document in queryset.filter(archived_at__isnull=True):
            services.document_archive(document=document, archived=True)
            count += 1
        messages.success(request, _("%(n)d document(s) archived.") % {"n": count})

    @admin.action(description=gettext_lazy("Bring the selected documents back"))
    def restore_documents(self, request, queryset: QuerySet[Document]):
        count = 0
        for document in queryset.filter(archived_at__isnull=False):
            services.document_archive(document=document, archived=False)
            count += 1
        messages.success(
            request, _("%(n)d document(s) back in the library.") % {"n": count}
        )


# --- API tokens ----------------------------------------------------------------------


def _managed_syndic_ids(request: HttpRequest) -> list[int] | None:
    """Syndics whose tokens this person manages (None: all, for platform admins);
    one query per request."""
    if request.user.is_superuser:
        return None
    if not hasattr(request, "_managed_syndic_ids"):
        request._managed_syndic_ids = list(
            SyndicEmployee.objects.filter(
                user=request.user, is_active=True, role=SyndicRole.MANAGER
            ).values_list("syndic_id", flat=True)
        )
    return request._managed_syndic_ids


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What uses it, e.g. “Accounting software”."),
    )
    syndic = forms.ModelChoiceField(
        label=gettext_lazy("Syndic"), queryset=Syndic.objects.none()
    )

    def __init__(self, *args, syndics: QuerySet[Syndic], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["syndic"].queryset = syndics
        if len(syndics) == 1:
            self.fields["syndic"].initial = syndics[0].pk


@admin.register(ApiToken, site=backoffice_site)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "syndic",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_select_related = ["syndic", "created_by"]
    fields = [
        "name",
        "syndic",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = fields[1:]
    actions = ["revoke_tokens"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        ids = _managed_syndic_ids(request)
        return queryset if ids is None else queryset.filter(syndic_id__in=ids)

    def _allowed(self, request, obj=None) -> bool:
        ids = _managed_syndic_ids(request)
        if ids is None:
            return True
        return bool(ids) if obj is None else obj.syndic_id in ids

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return False  # revoked tokens stay, with their dates

    def add_view(self, request: HttpRequest, form_url="", extra_context=None):
        """Create a token and show it in full, this once."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        ids = _managed_syndic_ids(request)
        syndics = Syndic.objects.order_by("name")
        if ids is not None:
            syndics = syndics.filter(pk__in=ids)
        form = ApiTokenCreateForm(request.POST or None, syndics=syndics)
        context = {
            **self.admin_site.each_context(request),
            "title": _("New API token"),
            "opts": self.opts,
            "form": form,
        }
        if request.method == "POST" and form.is_valid():
            token, full = api_token_create(by=request.user, **form.cleaned_data)
            context.update(title=_("API token created"), token=token, full_token=full)
            response = render(request, "admin/documents/apitoken/created.html", context)
            response["Cache-Control"] = "no-store"
            return response
        return render(request, "admin/documents/apitoken/add.html", context)

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke_tokens(self, request, queryset: QuerySet[ApiToken]):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token)
            count += 1
        messages.success(request, _("%(n)d token(s) revoked.") % {"n": count})
