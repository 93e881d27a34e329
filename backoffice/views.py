"""Process screens inside the back office (wrapped by BackofficeSite.admin_view)."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from copro.lib.forms import add_service_errors
from residents import selectors, services
from residents.access import Perm
from residents.lot_import import apply_import, plan_import

from .forms import LotImportForm, ResidenceCreateForm
from .mixins import scoped_residences

_IMPORT_SESSION_KEY = "copro_lot_import"


def _context(request: HttpRequest, title: str, **extra) -> dict:
    from .sites import backoffice_site

    return {**backoffice_site.each_context(request), "title": title, **extra}


def residence_create(request: HttpRequest) -> HttpResponse:
    syndics = selectors.syndics_managed_by(request.user)
    if not syndics.exists():
        raise PermissionDenied
    form = ResidenceCreateForm(request.POST or None, syndics=syndics)
    if request.method == "POST" and form.is_valid():
        try:
            residence = services.residence_create(
                created_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is created. Import its lots now.") % {"name": residence},
            )
            return redirect("backoffice:lot_import", residence.pk)
    return render(
        request,
        "backoffice/residence_create.html",
        _context(request, _("New residence"), form=form),
    )


def lot_import(request: HttpRequest, residence_id: int) -> HttpResponse:
    """Upload → preview (dry run, line-by-line errors) → confirm → all lines or none."""
    residence = (
        scoped_residences(request, Perm.MANAGE_RESIDENCE)
        .filter(pk=residence_id)
        .first()
    )
    if residence is None:
        raise Http404
    form = LotImportForm()
    plan = None
    if request.method == "POST" and "confirm" in request.POST:
        stored = request.session.get(_IMPORT_SESSION_KEY, {})
        if stored.get("residence") != residence.pk:
            messages.error(request, _("Upload the file again: the preview expired."))
            return redirect("backoffice:lot_import", residence.pk)
        plan = plan_import(residence, base64.b64decode(stored["data"]))
        try:
            counts = apply_import(residence, plan, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            del request.session[_IMPORT_SESSION_KEY]
            messages.success(
                request,
                _(
                    "Import done: %(created)d lots created, %(updated)d updated, "
                    "%(attached)d owners attached, %(invited)d invited."
                )
                % counts,
            )
            return redirect("backoffice:residents_lot_changelist")
    elif request.method == "POST":
        form = LotImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data["file"]
            try:
                plan = plan_import(residence, data)
            except ValidationError as error:
                form.add_error("file", error)
            else:
                request.session[_IMPORT_SESSION_KEY] = {
                    "residence": residence.pk,
                    "data": base64.b64encode(data).decode(),
                }
    return render(
        request,
        "backoffice/lot_import.html",
        _context(
            request,
            _("Import lots into %(name)s") % {"name": residence},
            form=form,
            plan=plan,
            residence=residence,
        ),
    )
