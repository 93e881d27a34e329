"""The syndic's ZIP of every co-owner's notice of a call: asked for on the call's
page (built by a Celery task after commit), then downloaded from there."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from copro.lib.files import serve_private
from residents.access import Perm, Standing
from residents.views import residence_view

from . import notice_batch
from .models import Entry, EntryKind


def _call_or_404(standing: Standing, call_id: int):
    call = notice_batch.residence_call(standing, call_id)
    if call is None:
        raise Http404
    return call


@residence_view(Perm.MANAGE_FINANCE)
@require_POST
def call_notices_prepare(
    request: HttpRequest, standing: Standing, call_id: int
) -> HttpResponse:
    """Queue the building of the call's ZIP (again, if it was built before)."""
    call = _call_or_404(standing, call_id)
    back = redirect("finance:call_detail", standing.residence.slug, call.pk)
    if not Entry.objects.filter(call=call, kind=EntryKind.CALL).exists():
        messages.error(request, _("No co-owner on the platform bears this call yet."))
        return back
    transaction.on_commit(lambda: notice_batch.render_call_notices.delay(call.pk))
    messages.success(
        request,
        _(
            "Every co-owner's notice is being prepared in one ZIP: download it from "
            "this page in a few minutes."
        ),
    )
    return back


@residence_view(Perm.MANAGE_FINANCE)
@require_GET
def call_notices_zip(
    request: HttpRequest, standing: Standing, call_id: int
) -> HttpResponse:
    """The ZIP once built; back to the call's page until then."""
    call = _call_or_404(standing, call_id)
    try:
        stored = default_storage.open(notice_batch.zip_name(call))
    except FileNotFoundError:
        messages.info(
            request, _("The ZIP of the notices is not ready: prepare it first.")
        )
        return redirect("finance:call_detail", standing.residence.slug, call.pk)
    response = serve_private(
        stored, filename=notice_batch.zip_filename(call), inline=False
    )
    response["Cache-Control"] = "private, no-store"
    return response
