from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from copro.lib.files import serve_private
from residents.access import Perm, Standing
from residents.views import residence_view

from . import selectors, services
from .categories import Scope
from .forms import (
    CATEGORY_CHOICES,
    KIND_CHOICES,
    MetadataForm,
    PersonalUploadForm,
    UploadForm,
    VersionForm,
)

PAGE_SIZE = 25


def _metadata(form) -> dict:
    data = {k: form.cleaned_data[k] for k in MetadataForm.Meta.fields}
    data["members"] = list(form.cleaned_data["members"])
    data["lots"] = list(form.cleaned_data["lots"])
    return data


@residence_view()
@require_GET
def library(request: HttpRequest, standing: Standing) -> HttpResponse:
    archived = request.GET.get("archive") == "1"
    filters = selectors.Filters.from_query(request.GET)
    page = selectors.search_page(
        standing,
        filters,
        request.GET.get("page"),
        archived=archived,
        per_page=PAGE_SIZE,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "documents/library.html",
        {
            "page": page,
            "filters": filters,
            "archived": archived,
            "years": selectors.facets(standing)["years"],
            "categories": CATEGORY_CHOICES,
            "kinds": KIND_CHOICES,
            "query_string": query.urlencode(),
            "can_manage": standing.can(Perm.MANAGE_DOCUMENTS),
        },
    )


@residence_view()
@require_GET
def detail(request: HttpRequest, standing: Standing, document_id: int) -> HttpResponse:
    document = selectors.document_for(standing, document_id)
    if document is None:
        raise Http404
    can_manage = not document.is_personal and standing.can(Perm.MANAGE_DOCUMENTS)
    return render(
        request,
        "documents/detail.html",
        {
            "document": document,
            "versions": selectors.versions_of(document),
            "can_manage": can_manage,
            "version_form": VersionForm() if can_manage else None,
        },
    )


@residence_view()
@require_GET
def download(
    request: HttpRequest, standing: Standing, document_id: int, number: int
) -> HttpResponse:
    """Every download asks the policy again: a link copied elsewhere opens nothing."""
    version = selectors.version_for(standing, document_id, number)
    if version is None:
        raise Http404
    inline = version.kind in ("pdf", "image")
    return serve_private(version.file, filename=version.original_name, inline=inline)


@residence_view(Perm.MANAGE_DOCUMENTS)
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, standing: Standing) -> HttpResponse:
    form = UploadForm(
        request.POST or None, request.FILES or None, residence=standing.residence
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = services.documents_upload(
                residence=standing.residence,
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
                    "%(count)s document added.",
                    "%(count)s documents added.",
                    len(created),
                )
                % {"count": len(created)},
            )
            if len(created) == 1:
                return redirect(created[0].get_absolute_url())
            return redirect("documents:library", standing.residence.slug)
    return render(request, "documents/upload.html", {"form": form})


def _manageable_or_404(standing: Standing, document_id: int):
    document = selectors.manageable(standing, document_id)
    if document is None:
        raise Http404
    return document


@residence_view(Perm.MANAGE_DOCUMENTS)
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, standing: Standing, document_id: int) -> HttpResponse:
    document = _manageable_or_404(standing, document_id)
    form = MetadataForm(
        request.POST or None, instance=document, residence=standing.residence
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.document_update(document=document, **_metadata(form))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The document is saved."))
            return redirect(document.get_absolute_url())
    return render(request, "documents/edit.html", {"form": form, "document": document})


@residence_view(Perm.MANAGE_DOCUMENTS)
@require_POST
def add_version(
    request: HttpRequest, standing: Standing, document_id: int
) -> HttpResponse:
    document = _manageable_or_404(standing, document_id)
    form = VersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = services.document_add_version(
                document=document,
                by=request.user,
                upload=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Version %(number)s is now the current one.")
                % {"number": version.number},
            )
            return redirect(document.get_absolute_url())
    return render(
        request,
        "documents/detail.html",
        {
            "document": document,
            "versions": selectors.versions_of(document),
            "can_manage": True,
            "version_form": form,
        },
    )


@residence_view(Perm.MANAGE_DOCUMENTS)
@require_POST
def archive(request: HttpRequest, standing: Standing, document_id: int) -> HttpResponse:
    document = _manageable_or_404(standing, document_id)
    archived = request.POST.get("archived") != "0"
    services.document_archive(document=document, archived=archived)
    messages.success(
        request,
        _("The document is in the archive.")
        if archived
        else _("The document is back in the library."),
    )
    return redirect(document.get_absolute_url())


@residence_view(Perm.MANAGE_DOCUMENTS)
@require_GET
def checklist(request: HttpRequest, standing: Standing) -> HttpResponse:
    rows = selectors.legal_checklist(standing)
    sections = [(scope, scope.label, rows[scope]) for scope in Scope]
    missing = sum(1 for _, _, section in sections for row in section if not row.current)
    return render(
        request,
        "documents/checklist.html",
        {"sections": sections, "missing": missing},
    )


@residence_view()
@require_http_methods(["GET", "POST"])
def personal(request: HttpRequest, standing: Standing) -> HttpResponse:
    """The member's own space: nobody else, the syndic included, may open it."""
    form = PersonalUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.personal_document_add(
                residence=standing.residence,
                owner=request.user,
                upload=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, _("The document is in your space."))
            return redirect("documents:personal", standing.residence.slug)
    page = Paginator(selectors.personal_space(standing), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "documents/personal.html",
        {
            "form": form,
            "page": page,
            "used": services.personal_space_used(request.user),
            "quota": settings.COPRO_PERSONAL_SPACE_QUOTA,
        },
    )


@residence_view()
@require_POST
def personal_delete(
    request: HttpRequest, standing: Standing, document_id: int
) -> HttpResponse:
    document = selectors.personal_space(standing).filter(pk=document_id).first()
    if document is None:
        raise Http404
    services.personal_document_delete(document=document)
    messages.success(request, _("The document is deleted."))
    return redirect("documents:personal", standing.residence.slug)
