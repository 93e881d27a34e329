"""Declaring, confirming, moving, commenting and rating incidents and requests.

Everyone concerned hears of each change through `notify()`: the reporter and the
residents who confirmed ("me too") follow an incident; the syndic's staff (and, for
incidents and non-private requests, the council) hear of new ones. Urgent incidents
also go out by SMS to those who asked for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.lib.files import FilesWritten
from copro.lib.uploads import CleanImage
from notifications.services import notify
from residents.access import active_memberships
from residents.models import Category as NotificationCategory
from residents.models import Residence, Role, SyndicEmployee, User

from . import workflow
from .models import (
    INCIDENT_CATEGORIES,
    REQUEST_CATEGORIES,
    Comment,
    Confirmation,
    Kind,
    Photo,
    Ticket,
    Transition,
    Urgency,
)
from .workflow import Actor, Status

MAX_PHOTOS = 6


def _notification_category(ticket: Ticket) -> str:
    if ticket.kind == Kind.INCIDENT:
        return NotificationCategory.INCIDENTS
    return NotificationCategory.REQUESTS


def handlers(ticket: Ticket) -> set[int]:
    """Who hears of a new ticket: the syndic's staff, and the council unless it is a
    private request."""
    ids = set(
        SyndicEmployee.objects.filter(
            syndic_id=ticket.residence.syndic_id, is_active=True
        ).values_list("user_id", flat=True)
    )
    if not ticket.private:
        ids |= set(
            active_memberships()
            .filter(
                residence=ticket.residence,
                role__in=[Role.COUNCIL_MEMBER, Role.COUNCIL_PRESIDENT],
            )
            .values_list("user_id", flat=True)
        )
    return ids


def followers(ticket: Ticket) -> set[int]:
    """The reporter, their delegates and those who confirmed."""
    from .sharing import delegates_of

    ids = set(ticket.confirmations.values_list("user_id", flat=True))
    if ticket.reporter_id:
        ids.add(ticket.reporter_id)
    return ids | delegates_of(ticket)


def notify_ticket(
    ticket: Ticket, recipients: Iterable[int], template: str, **extra
) -> None:
    recipients = sorted(set(recipients))
    if not recipients:
        return
    notify(
        recipients=recipients,
        residence=ticket.residence,
        category=_notification_category(ticket),
        template=template,
        context={
            "residence": ticket.residence.name,
            "title": ticket.title,
            "kind": ticket.kind,
            **extra,
        },
        url=ticket.get_absolute_url(),
        urgent=ticket.kind == Kind.INCIDENT and ticket.urgency == Urgency.URGENT,
    )


def _store_photos(
    ticket: Ticket, photos: Sequence[CleanImage], by: User | None
) -> None:
    """Write the photos; if one fails, the files already written go too."""
    with FilesWritten() as files:
        for photo in photos:
            row = Photo(
                ticket=ticket,
                width=photo.width,
                height=photo.height,
                original_name=photo.original_name,
                uploaded_by=by,
            )
            files.save(row.image, photo.image.name, photo.image)
            files.save(row.thumbnail, photo.thumbnail.name, photo.thumbnail)
            row.save()


@transaction.atomic
def ticket_declare(
    *,
    residence: Residence,
    reporter: User,
    kind: str,
    category: str,
    title: str,
    description: str = "",
    location: str = "",
    urgency: str = Urgency.NORMAL,
    private: bool = False,
    photos: Sequence[CleanImage] = (),
) -> Ticket:
    allowed = INCIDENT_CATEGORIES if kind == Kind.INCIDENT else REQUEST_CATEGORIES
    if category not in allowed:
        raise ValidationError({"category": _("Choose a category from the list.")})
    if len(photos) > MAX_PHOTOS:
        raise ValidationError(
            _("Send at most %(max)s photos."), params={"max": MAX_PHOTOS}
        )
    ticket = Ticket(
        residence=residence,
        reporter=reporter,
        kind=kind,
        category=category,
        title=title,
        description=description,
        location=location,
        urgency=urgency if kind == Kind.INCIDENT else Urgency.NORMAL,
        private=private and kind == Kind.REQUEST,
    )
    ticket.full_clean()
    ticket.save()
    _store_photos(ticket, photos, reporter)
    notify_ticket(ticket, handlers(ticket) - {reporter.pk}, "ticket_new")
    return ticket


def ticket_confirm(*, ticket: Ticket, user: User) -> bool:
    """ "Me too": counted once per person; False if they had already confirmed."""
    if ticket.kind != Kind.INCIDENT or not ticket.is_open:
        raise ValidationError(_("Only an open incident can be confirmed."))
    if ticket.reporter_id == user.pk:
        raise ValidationError(_("You declared this incident yourself."))
    try:
        with transaction.atomic():
            Confirmation.objects.create(ticket=ticket, user=user)
            Ticket.objects.filter(pk=ticket.pk).update(
                confirmation_count=F("confirmation_count") + 1
            )
    except IntegrityError:
        return False
    return True


@transaction.atomic
def ticket_move(
    *,
    ticket: Ticket,
    by: User,
    actors: set[Actor],
    to_status: str,
    comment: str = "",
) -> Ticket:
    """Change the status along the workflow, recorded with who, when and why;
    anything the workflow does not allow is refused."""
    ticket = (
        Ticket.objects.select_for_update().select_related("residence").get(pk=ticket.pk)
    )
    try:
        workflow.check(ticket.status, to_status, actors)
    except workflow.IllegalTransition as exc:
        raise ValidationError(
            _("This change of status is not possible from “%(status)s”.")
            % {"status": ticket.get_status_display()}
        ) from exc
    from_status, now = ticket.status, timezone.now()
    ticket.status = to_status
    ticket.status_changed_at = now
    # The statistics' milestones with the status, in the same write (the database's
    # trigger on the transition then finds them already set).
    stamped = ticket.stamp_milestones(to_status, now)
    ticket.save(update_fields=["status", "status_changed_at", *stamped])
    Transition.objects.create(
        ticket=ticket,
        from_status=from_status,
        to_status=to_status,
        by=by,
        at=now,
        comment=comment,
    )
    notify_ticket(
        ticket,
        (followers(ticket) | handlers_if_reporter(ticket, actors)) - {by.pk},
        "ticket_status",
        status=to_status,
        comment=comment[:300],
    )
    return ticket


def handlers_if_reporter(ticket: Ticket, actors: set[Actor]) -> set[int]:
    # When the reporter closes or reopens, the syndic hears of it.
    return handlers(ticket) if actors == {Actor.REPORTER} else set()


@transaction.atomic
def ticket_comment(
    *, ticket: Ticket, author: User, body: str, internal: bool = False
) -> Comment:
    comment = Comment(ticket=ticket, author=author, body=body, internal=internal)
    comment.full_clean()
    comment.save()
    # Internal notes stay with the council and the syndic.
    recipients = handlers(ticket) if internal else followers(ticket) | handlers(ticket)
    notify_ticket(
        ticket, recipients - {author.pk}, "ticket_comment", comment=body[:300]
    )
    return comment


def ticket_set_priority(*, ticket: Ticket, priority: int | None) -> Ticket:
    ticket.priority = priority
    ticket.full_clean()
    ticket.save(update_fields=["priority"])
    return ticket


@transaction.atomic
def ticket_merge(*, duplicate: Ticket, into: Ticket, by: User) -> Ticket:
    """Close `duplicate` as a duplicate of `into`; its reporter follows `into`."""
    if duplicate.pk == into.pk or duplicate.residence_id != into.residence_id:
        raise ValidationError(_("Choose another incident of this residence."))
    if into.merged_into_id is not None:
        raise ValidationError(_("That incident is itself a duplicate."))
    duplicate = Ticket.objects.select_for_update().get(pk=duplicate.pk)
    duplicate.merged_into = into
    from_status, now = duplicate.status, timezone.now()
    duplicate.status = Status.CLOSED
    duplicate.status_changed_at = now
    # Closing stamps no milestone: the duplicate keeps those it had (and the
    # statistics leave duplicates out).
    duplicate.save(update_fields=["merged_into", "status", "status_changed_at"])
    Transition.objects.create(
        ticket=duplicate,
        from_status=from_status,
        to_status=Status.CLOSED,
        by=by,
        at=now,
        comment=_("Duplicate of “%(title)s”.") % {"title": into.title},
    )
    if duplicate.reporter_id and duplicate.reporter_id != into.reporter_id:
        try:
            ticket_confirm(ticket=into, user=duplicate.reporter)
        except ValidationError:
            pass  # `into` is closed already: nothing to follow
    return duplicate


def ticket_rate(
    *, ticket: Ticket, user: User, rating: int, comment: str = ""
) -> Ticket:
    """The reporter rates the handling once it is resolved or closed."""
    if ticket.reporter_id != user.pk:
        raise ValidationError(_("Only the person who declared it can rate it."))
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise ValidationError(_("You can rate it once it is resolved."))
    ticket.rating = rating
    ticket.rating_comment = comment
    ticket.full_clean()
    ticket.save(update_fields=["rating", "rating_comment"])
    return ticket
