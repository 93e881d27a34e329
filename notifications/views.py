"""The notification centre: a person's own notifications only."""

from __future__ import annotations

import logging

import redis
from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from . import realtime, selectors, services

logger = logging.getLogger(__name__)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox(request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one as read, then follow its link (only to this site)."""
    services.mark_read(user=request.user, notification_id=notification_id)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "notifications:inbox"
    return redirect(target or "notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(user=request.user)
    return redirect("notifications:inbox")


@login_required
@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    """The header's unread count, re-fetched by htmx when the stream announces a
    notification (or polled); it carries the newest unread title for the toast."""
    latest = selectors.latest_unread(request.user)
    return render(
        request,
        "notifications/_badge.html",
        {
            "unread_count": selectors.unread_count(request.user),
            "latest_title": latest.title if latest else "",
        },
    )


@require_GET
async def stream(request: HttpRequest) -> HttpResponse:
    """Server-sent events telling the open page that a notification arrived.

    Anonymous → 403, not a login redirect (EventSource cannot follow one to a form).
    204 where the page cannot stream (no Redis, or a WSGI server): the browser stops
    trying and the badge keeps polling; 503 when Redis does not answer."""
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponseForbidden()
    if not realtime.stream_url(request):
        return HttpResponse(status=204)
    try:
        events = await realtime.subscribe(user.pk)
    except (redis.RedisError, OSError) as exc:
        logger.warning("Real-time stream unavailable: %s", exc)
        return HttpResponse(status=503)
    await sync_to_async(realtime.release_database)()
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
