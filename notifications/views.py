"""The notification centre: a person's own notifications only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services


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
    """The header's unread count, polled by htmx so that it updates without reload;
    it carries the newest unread title for the page to show as a toast."""
    latest = selectors.latest_unread(request.user)
    return render(
        request,
        "notifications/_badge.html",
        {
            "unread_count": selectors.unread_count(request.user),
            "latest_title": latest.title if latest else "",
        },
    )
