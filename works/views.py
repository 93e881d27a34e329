from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from copro.lib.files import serve_private
from residents.access import Perm, Standing
from residents.views import residence_view

from . import selectors, services
from .forms import FollowForm, WorksForm, WorksUpdateForm
from .models import Works


def _works_or_404(standing: Standing, works_id: int) -> Works:
    works = selectors.works_in(standing, works_id)
    if works is None:
        raise Http404
    return works


@residence_view()
@require_GET
def works_list(request: HttpRequest, standing: Standing) -> HttpResponse:
    page = Paginator(selectors.works_for(standing), 10).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "works/works_list.html",
        {"page": page, "can_manage": standing.can(Perm.MANAGE_WORKS)},
    )


@residence_view()
@require_GET
def works_detail(
    request: HttpRequest, standing: Standing, works_id: int
) -> HttpResponse:
    works = _works_or_404(standing, works_id)
    page = Paginator(selectors.updates_of(works), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "works/works_detail.html",
        {
            "works": works,
            "page": page,
            "following": selectors.is_following(works, request.user),
            "can_manage": standing.can(Perm.MANAGE_WORKS),
        },
    )


@residence_view(Perm.MANAGE_WORKS)
@require_http_methods(["GET", "POST"])
def works_edit(
    request: HttpRequest, standing: Standing, works_id: int | None = None
) -> HttpResponse:
    works = _works_or_404(standing, works_id) if works_id is not None else None
    form = WorksForm(request.POST or None, instance=works)
    if request.method == "POST" and form.is_valid():
        data = {field: form.cleaned_data[field] for field in form.Meta.fields}
        try:
            saved = services.works_save(
                residence=standing.residence, by=request.user, works=works, **data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The works record is saved."))
            return redirect("works:detail", standing.residence.slug, saved.pk)
    return render(request, "works/works_form.html", {"form": form, "works": works})


@residence_view(Perm.MANAGE_WORKS)
@require_http_methods(["GET", "POST"])
def update_new(request: HttpRequest, standing: Standing, works_id: int) -> HttpResponse:
    works = _works_or_404(standing, works_id)
    form = WorksUpdateForm(
        request.POST or None,
        request.FILES or None,
        initial={"progress": works.progress},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.works_post_update(
                works=works, author=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The update is posted; followers are notified.")
            )
            return redirect("works:detail", standing.residence.slug, works.pk)
    return render(request, "works/update_form.html", {"form": form, "works": works})


@residence_view()
@require_POST
def follow(request: HttpRequest, standing: Standing, works_id: int) -> HttpResponse:
    """Follow or stop following; htmx swaps the button, otherwise back to the page."""
    works = _works_or_404(standing, works_id)
    form = FollowForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    following = form.cleaned_data["action"] == "follow"
    services.works_follow(works=works, user=request.user, following=following)
    if request.htmx:
        return render(
            request, "works/_follow.html", {"works": works, "following": following}
        )
    messages.success(
        request,
        _("You follow these works.")
        if following
        else _("You no longer follow these works."),
    )
    return redirect("works:detail", standing.residence.slug, works.pk)


@residence_view()
@require_GET
def photo(
    request: HttpRequest,
    standing: Standing,
    works_id: int,
    photo_id: int,
    size: str = "full",
) -> HttpResponse:
    found = selectors.photo_in(standing, works_id, photo_id)
    if found is None:
        raise Http404
    field = found.thumbnail if size == "thumb" else found.image
    return serve_private(field, filename=found.original_name)
