from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from residents.access import Perm, Standing
from residents.views import residence_view

from . import selectors, services
from .forms import AnnouncementForm


@residence_view()
def announcement_list(request: HttpRequest, standing: Standing) -> HttpResponse:
    page = Paginator(selectors.announcements_for(standing), 10).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "life/announcement_list.html",
        {"page": page, "can_publish": standing.can(Perm.PUBLISH_NEWS)},
    )


@residence_view()
def announcement_detail(
    request: HttpRequest, standing: Standing, announcement_id: int
) -> HttpResponse:
    announcement = (
        selectors.announcements_for(standing).filter(pk=announcement_id).first()
    )
    if announcement is None:
        raise Http404
    return render(
        request,
        "life/announcement_detail.html",
        {"announcement": announcement, "can_publish": standing.can(Perm.PUBLISH_NEWS)},
    )


def _save(request, standing, form, announcement=None):
    data = {k: form.cleaned_data[k] for k in form.Meta.fields}
    try:
        if announcement is None:
            return services.announcement_publish(
                residence=standing.residence, author=request.user, **data
            )
        return services.announcement_update(announcement=announcement, **data)
    except ValidationError as error:
        form.add_error(None, error)
        return None


@residence_view(Perm.PUBLISH_NEWS)
@require_http_methods(["GET", "POST"])
def announcement_edit(
    request: HttpRequest, standing: Standing, announcement_id: int | None = None
) -> HttpResponse:
    announcement = None
    if announcement_id is not None:
        announcement = (
            selectors.announcements_to_manage(standing)
            .filter(pk=announcement_id)
            .first()
        )
        if announcement is None:
            raise Http404
    form = AnnouncementForm(request.POST or None, instance=announcement)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, standing, form, announcement)
        if saved is not None:
            messages.success(request, _("The announcement is saved."))
            return redirect("life:announcements", standing.residence.slug)
    return render(
        request,
        "life/announcement_form.html",
        {"form": form, "announcement": announcement},
    )
