"""Which incidents and requests a member may see, and how lists are ordered.

Every member sees the residence's incidents and their own requests; a delegate also
sees the requests they were given to follow; the council sees requests that are not
private; the syndic sees everything. A delegate who is not a member sees only what
was delegated to them."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from residents.access import Perm, Standing

from .models import Comment, Kind, Ticket
from .workflow import OPEN_STATUSES, Actor


def tickets_for(standing: Standing) -> QuerySet[Ticket]:
    """The incidents and requests this member may open (see the module's doc)."""
    from .sharing import delegated_q

    residence, user = standing.residence, standing.user
    tickets = Ticket.objects.filter(residence=residence)
    if standing.can(Perm.HANDLE_TICKETS):
        pass
    elif standing.can(Perm.FOLLOW_TICKETS):
        tickets = tickets.filter(
            Q(kind=Kind.INCIDENT)
            | Q(private=False)
            | Q(reporter=user)
            | delegated_q(user, residence)
        )
    elif standing.can(Perm.VIEW_RESIDENCE):
        tickets = tickets.filter(
            Q(kind=Kind.INCIDENT) | Q(reporter=user) | delegated_q(user, residence)
        )
    else:
        # Not a member (a delegate from outside): what was delegated, nothing else.
        tickets = tickets.filter(delegated_q(user, residence))
    return tickets.select_related("residence", "reporter")


def ticket_for(standing: Standing, ticket_id: int) -> Ticket | None:
    return tickets_for(standing).filter(pk=ticket_id).first()


def actors(standing: Standing, ticket: Ticket) -> set[Actor]:
    found = set()
    if standing.can(Perm.HANDLE_TICKETS):
        found.add(Actor.SYNDIC)
    if ticket.reporter_id == standing.user.pk:
        found.add(Actor.REPORTER)
    return found


def by_criticality(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Open before done; urgent and high priority first; then the oldest first."""
    return tickets.annotate(
        done=Case(
            When(status__in=list(OPEN_STATUSES), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        criticality=Case(
            When(priority=1, then=Value(0)),
            When(urgency="urgent", then=Value(1)),
            When(priority=2, then=Value(2)),
            When(priority=3, then=Value(3)),
            When(priority=4, then=Value(5)),
            default=Value(4),
            output_field=IntegerField(),
        ),
    ).order_by("done", "criticality", "created_at", "pk")


def overdue_before():
    """P1/P2 tickets whose status has not moved since then are overdue."""
    return timezone.now() - timedelta(hours=settings.COPRO_TICKET_OVERDUE_HOURS)


def annotate_overdue(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.annotate(
        overdue=Case(
            When(
                Q(priority__lte=2)
                & Q(status__in=list(OPEN_STATUSES))
                & Q(status_changed_at__lt=overdue_before()),
                then=Value(True),
            ),
            default=Value(False),
        )
    )


def residence_incidents(standing: Standing, *, open_only: bool = True):
    tickets = tickets_for(standing).filter(kind=Kind.INCIDENT, merged_into=None)
    if open_only:
        tickets = tickets.filter(status__in=list(OPEN_STATUSES))
    return annotate_overdue(by_criticality(tickets))


def mine(standing: Standing) -> QuerySet[Ticket]:
    return annotate_overdue(
        by_criticality(tickets_for(standing).filter(reporter=standing.user))
    )


def followed(standing: Standing) -> QuerySet[Ticket]:
    """The incidents and requests this person follows on a co-owner's behalf."""
    from .sharing import delegated_q

    return annotate_overdue(
        by_criticality(
            tickets_for(standing).filter(delegated_q(standing.user, standing.residence))
        )
    )


def queue(standing: Standing, filters: dict) -> QuerySet[Ticket]:
    """The council/syndic queue across the residence, filtered."""
    tickets = tickets_for(standing).filter(merged_into=None)
    if filters.get("kind") in Kind.values:
        tickets = tickets.filter(kind=filters["kind"])
    status = filters.get("status")
    if status == "open":
        tickets = tickets.filter(status__in=list(OPEN_STATUSES))
    elif status:
        tickets = tickets.filter(status=status)
    if filters.get("category"):
        tickets = tickets.filter(category=filters["category"])
    if str(filters.get("priority", "")).isdigit():
        tickets = tickets.filter(priority=int(filters["priority"]))
    return annotate_overdue(by_criticality(tickets))


def similar_open(standing: Standing, category: str) -> QuerySet[Ticket]:
    """Open incidents of the same category: to confirm instead of declaring again."""
    return residence_incidents(standing).filter(category=category)[:10]


def comments_for(standing: Standing, ticket: Ticket) -> QuerySet[Comment]:
    comments = ticket.comments.select_related("author")
    if not standing.can(Perm.FOLLOW_TICKETS):
        comments = comments.filter(internal=False)
    return comments


def has_confirmed(standing: Standing, ticket: Ticket) -> bool:
    return ticket.confirmations.filter(user=standing.user).exists()


def dashboard_tickets(standing: Standing, size: int = 5) -> dict:
    """Two widgets: my open incidents and requests, and the residence's urgent open
    incidents (one query each)."""
    open_statuses = list(OPEN_STATUSES)
    return {
        "my_open_tickets": list(mine(standing).filter(status__in=open_statuses)[:size]),
        "urgent_incidents": list(
            residence_incidents(standing).filter(urgency="urgent")[:size]
        ),
    }
