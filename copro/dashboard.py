"""The dashboard: what each app contributes to a member's home page.

This is the one place that knows every app (the composition root of the home page):
each widget below calls one app's selector, scoped by the member's standing, with a
fixed number of queries whatever the residence holds. Widgets the member's role may
not see are simply absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from heapq import nlargest

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from life.models import EventKind
from residents import selectors as residents_selectors
from residents.access import Perm, Standing
from residents.models import Membership, MembershipStatus

ACTIVITY_SIZE = 10


@dataclass(frozen=True)
class Activity:
    """One line of the council/syndic's "recent activity" feed."""

    at: datetime
    text: str
    url: str = ""


def dashboard_context(standing: Standing) -> dict:
    """Everything the dashboard template shows, for this member."""
    from albums.selectors import dashboard_latest_photos
    from directory.selectors import dashboard_contracts_to_renew
    from documents.signatures import dashboard_signatures
    from finance.overdue import council_overdue
    from finance.selectors import dashboard_balance
    from incidents.selectors import dashboard_tickets
    from life.selectors import announcements_for, upcoming_events
    from works.selectors import dashboard_works

    upcoming = upcoming_events(standing)
    context = {
        "announcements": announcements_for(standing)[:3],
        "events": upcoming[:3],
        "next_assembly": upcoming.filter(kind=EventKind.ASSEMBLY).first(),
        "membership": residents_selectors.my_membership(standing),
        "summary": residents_selectors.residence_summary(standing.residence),
        "pending_count": None,
        "works_in_progress": dashboard_works(standing),
        "latest_photos": dashboard_latest_photos(standing),
        **dashboard_tickets(standing),
        "signatures_waiting": dashboard_signatures(standing),
        "charges": dashboard_balance(standing) if standing.is_owner else None,
        # Council and syndic only (None for others, without a query).
        "overdue": council_overdue(standing),
    }
    if standing.can(Perm.MANAGE_MEMBERS):
        pending = list(residents_selectors.pending_requests(standing.residence)[:5])
        context["pending"] = pending
        context["pending_count"] = (
            len(pending)
            if len(pending) < 5
            else residents_selectors.pending_requests(standing.residence).count()
        )
        context["activity"] = recent_activity(standing)
        context["contracts_to_renew"] = dashboard_contracts_to_renew(standing)
    return context


def recent_activity(standing: Standing, size: int = ACTIVITY_SIZE) -> list[Activity]:
    """The residence's latest happenings, newest first, for the council and syndic:
    one query per source, merged in memory."""
    entries: list[Activity] = []
    for source in (
        _membership_activity,
        _announcement_activity,
        _works_activity,
        _photo_activity,
        _ticket_activity,
    ):
        entries += source(standing, size)
    return nlargest(size, entries, key=lambda entry: entry.at)


def _membership_activity(standing: Standing, size: int) -> list[Activity]:
    """Join requests as they arrive, and each decision as it is taken (two queries)."""
    members = Membership.objects.filter(residence=standing.residence).select_related(
        "user"
    )
    url = reverse("residents:members", args=[standing.residence.slug])
    waiting = members.filter(status=MembershipStatus.PENDING).order_by("-created_at")
    entries = [
        Activity(m.created_at, _("%(name)s asked to join.") % {"name": m.user}, url)
        for m in waiting[:size]
    ]
    for m in members.filter(decided_at__isnull=False).order_by("-decided_at")[:size]:
        if m.status == MembershipStatus.ACTIVE:
            text = _("%(name)s is a member (%(role)s).") % {
                "name": m.user,
                "role": m.get_role_display(),
            }
        elif m.status == MembershipStatus.BLOCKED:
            text = _("%(name)s was blocked.") % {"name": m.user}
        elif m.status == MembershipStatus.LEFT:
            text = _("%(name)s left the residence.") % {"name": m.user}
        else:
            continue
        entries.append(Activity(at=m.decided_at, text=text, url=url))
    return entries


def _announcement_activity(standing: Standing, size: int) -> list[Activity]:
    from life.selectors import announcements_to_manage

    return [
        Activity(
            at=announcement.publish_at,
            text=_("Announcement: %(title)s") % {"title": announcement.title},
            url=announcement.get_absolute_url(),
        )
        for announcement in announcements_to_manage(standing)
        .select_related("residence")
        .filter(notified_at__isnull=False)[:size]
    ]


def _works_activity(standing: Standing, size: int) -> list[Activity]:
    from works.models import WorksUpdate

    updates = (
        WorksUpdate.objects.filter(works__residence=standing.residence)
        .select_related("works__residence")
        .order_by("-posted_at", "-pk")[:size]
    )
    return [
        Activity(
            at=update.posted_at,
            text=_("Works update: %(title)s (%(progress)s%%)")
            % {"title": update.works.title, "progress": update.works.progress},
            url=update.works.get_absolute_url(),
        )
        for update in updates
    ]


def _photo_activity(standing: Standing, size: int) -> list[Activity]:
    """New photos, one line per album and day rather than one per photo."""
    from albums.selectors import photos_for

    entries: dict[tuple[int, object], Activity] = {}
    for photo in photos_for(standing).order_by("-uploaded_at", "-pk")[: size * 5]:
        key = (photo.album_id, timezone.localdate(photo.uploaded_at))
        if key not in entries:
            entries[key] = Activity(
                at=photo.uploaded_at,
                text=_("New photos in %(album)s") % {"album": photo.album.title},
                url=reverse(
                    "albums:detail", args=[standing.residence.slug, photo.album_id]
                ),
            )
    return list(entries.values())


def _ticket_activity(standing: Standing, size: int) -> list[Activity]:
    from incidents.selectors import tickets_for

    return [
        Activity(
            at=ticket.created_at,
            text=(
                _("New incident: %(title)s")
                if ticket.kind == "incident"
                else _("New request: %(title)s")
            )
            % {"title": ticket.title},
            url=ticket.get_absolute_url(),
        )
        for ticket in tickets_for(standing).order_by("-created_at", "-pk")[:size]
    ]
