from __future__ import annotations

import calendar as cal
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from copro.lib.files import serve_private
from residents.access import Perm, Standing
from residents.access import standing as standing_of
from residents.views import residence_view

from . import selectors, services
from .forms import AnnouncementForm, EventForm
from .ical import calendar_bytes


@residence_view()
def announcement_list(request: HttpRequest, standing: Standing) -> HttpResponse:
    page = Paginator(
        selectors.announcements_for(standing).prefetch_related("attachments"), 10
    ).get_page(request.GET.get("page"))
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
        selectors.announcements_for(standing)
        .prefetch_related("attachments")
        .filter(pk=announcement_id)
        .first()
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
    data["attachments"] = form.cleaned_data["uploads"]
    try:
        if announcement is None:
            return services.announcement_publish(
                residence=standing.residence, author=request.user, **data
            )
        return services.announcement_update(
            announcement=announcement,
            remove_attachments=[a.pk for a in form.cleaned_data["remove_attachments"]],
            **data,
        )
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
    form = AnnouncementForm(
        request.POST or None, request.FILES or None, instance=announcement
    )
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


@residence_view()
@require_GET
def announcement_file(
    request: HttpRequest,
    standing: Standing,
    announcement_id: int,
    attachment_id: int,
    thumbnail: bool = False,
) -> HttpResponse:
    """An attachment, to those who may read its announcement (editors: always)."""
    attachment = selectors.attachment_for(standing, announcement_id, attachment_id)
    if attachment is None:
        raise Http404
    if thumbnail:
        return serve_private(attachment.thumbnail, filename=attachment.original_name)
    return serve_private(
        attachment.file,
        filename=attachment.original_name,
        inline=attachment.is_image,
    )


# --- Calendar ---------------------------------------------------------------------


@residence_view()
def calendar_list(request: HttpRequest, standing: Standing) -> HttpResponse:
    page = Paginator(selectors.upcoming_events(standing), 20).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    return render(
        request,
        "life/calendar_list.html",
        {
            "page": page,
            "today": today,
            "can_manage": standing.can(Perm.MANAGE_CALENDAR),
        },
    )


@residence_view()
def calendar_month(
    request: HttpRequest, standing: Standing, year: int, month: int
) -> HttpResponse:
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404
    weeks = month_grid(standing, year, month)
    first = date(year, month, 1)
    previous = first - timedelta(days=1)
    following = first + timedelta(days=32)
    return render(
        request,
        "life/calendar_month.html",
        {
            "weeks": weeks,
            "month": first,
            "previous": previous,
            "following": following,
            "today": timezone.localdate(),
            "can_manage": standing.can(Perm.MANAGE_CALENDAR),
        },
    )


def month_grid(standing: Standing, year: int, month: int) -> list[list[dict]]:
    """Weeks (Monday first) of days, each with the events happening that day."""
    weeks = cal.Calendar(firstweekday=0).monthdatescalendar(year, month)
    tz = timezone.get_current_timezone()
    start = datetime.combine(weeks[0][0], time.min, tzinfo=tz)
    end = datetime.combine(weeks[-1][-1] + timedelta(days=1), time.min, tzinfo=tz)
    by_day: dict[date, list] = {}
    for event in selectors.events_between(standing, start, end):
        day = timezone.localtime(event.starts_at).date()
        last = timezone.localtime(event.ends_at - timedelta(microseconds=1)).date()
        while day <= last:
            by_day.setdefault(day, []).append(event)
            day += timedelta(days=1)
    return [
        [
            {"day": d, "in_month": d.month == month, "events": by_day.get(d, [])}
            for d in w
        ]
        for w in weeks
    ]


@residence_view(Perm.MANAGE_CALENDAR)
@require_http_methods(["GET", "POST"])
def event_edit(
    request: HttpRequest, standing: Standing, event_id: int | None = None
) -> HttpResponse:
    event = None
    if event_id is not None:
        event = selectors.events_for(standing).filter(pk=event_id).first()
        if event is None:
            raise Http404
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.Meta.fields}
        try:
            services.event_save(
                residence=standing.residence, by=request.user, event=event, **data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The event is saved."))
            return redirect("life:calendar", standing.residence.slug)
    return render(request, "life/event_form.html", {"form": form, "event": event})


@residence_view()
@require_http_methods(["GET", "POST"])
def calendar_feed(request: HttpRequest, standing: Standing) -> HttpResponse:
    """The member's private iCalendar address: show, renew or revoke it."""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.calendar_feed_revoke(
                user=request.user, residence=standing.residence
            )
            messages.success(request, _("The calendar address no longer works."))
        else:
            services.calendar_feed_renew(
                user=request.user, residence=standing.residence
            )
            messages.success(request, _("Your new calendar address is ready."))
        return redirect("life:calendar_feed", standing.residence.slug)
    feed = selectors.live_feed(standing)
    url = (
        request.build_absolute_uri(reverse("life:calendar_ics", args=[feed.token]))
        if feed
        else None
    )
    return render(request, "life/calendar_feed.html", {"feed_url": url})


@require_GET
def calendar_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself: no session (calendar apps have none), the token is the key.
    It only holds what the member may see today; a revoked token or a member who has
    lost access gets 404."""
    feed = selectors.feed_by_token(token)
    found = feed and standing_of(feed.user, feed.residence.slug)
    if not found:
        raise Http404
    body = calendar_bytes(feed.residence.name, selectors.events_for(found))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="copro.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
