"""The life of an incident or a request: its states and who may move it where.

Plain data and functions, no database: `allowed(ticket_status, actor)` lists the next
states an actor may choose; `check(from_status, to_status, actor)` refuses anything
else. Incidents and requests share it.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_PROVIDER = "waiting_provider", _("Waiting for the provider")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    REOPENED = "reopened", _("Reopened")


OPEN_STATUSES = frozenset(
    {
        Status.NEW,
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.WAITING_PROVIDER,
        Status.REOPENED,
    }
)
DONE_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED, Status.REJECTED})


class Actor(StrEnum):
    """Who acts, as far as the workflow cares."""

    SYNDIC = "syndic"  # handles: acknowledges, works on, resolves, rejects
    REPORTER = "reporter"  # the person who declared it (or their delegate)


_SYNDIC = {
    Status.NEW: {Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REJECTED},
    Status.ACKNOWLEDGED: {
        Status.IN_PROGRESS,
        Status.WAITING_PROVIDER,
        Status.RESOLVED,
        Status.REJECTED,
    },
    Status.IN_PROGRESS: {Status.WAITING_PROVIDER, Status.RESOLVED},
    Status.WAITING_PROVIDER: {Status.IN_PROGRESS, Status.RESOLVED},
    Status.RESOLVED: {Status.CLOSED, Status.REOPENED},
    Status.CLOSED: {Status.REOPENED},
    Status.REJECTED: {Status.REOPENED},
    Status.REOPENED: {
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.REJECTED,
    },
}
# The reporter confirms the fix (closes) or says it is not fixed (reopens).
_REPORTER = {
    Status.RESOLVED: {Status.CLOSED, Status.REOPENED},
    Status.CLOSED: {Status.REOPENED},
}
TRANSITIONS: dict[Actor, dict[str, set[str]]] = {
    Actor.SYNDIC: _SYNDIC,
    Actor.REPORTER: _REPORTER,
}


class IllegalTransition(Exception):
    """The actor may not move the ticket from this state to that one."""


def allowed(status: str, actors: set[Actor]) -> list[Status]:
    """The states these actors may move a ticket to, in the workflow's order."""
    targets: set[str] = set()
    for actor in actors:
        targets |= TRANSITIONS[actor].get(status, set())
    return [s for s in Status if s in targets]


def check(status: str, target: str, actors: set[Actor]) -> None:
    if target not in allowed(status, actors):
        raise IllegalTransition(f"{status} → {target}")
