"""The interventions panel of a ticket page, and a filter for notification texts.

    {% load interventions %}{% intervention_panel standing ticket as panel %}

gives the panel's data in two queries whatever the number of interventions, so
templates/incidents/_interventions.html can be included with only `ticket` and
`standing` in its context.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.dateparse import parse_datetime

from incidents import interventions
from incidents.models import Kind, Ticket
from residents.access import Perm, Standing

register = template.Library()


@register.simple_tag
def intervention_panel(standing: Standing | None, ticket: Ticket | None) -> dict:
    """The ticket's interventions with the documents this reader may open, and what
    they may do; `show` is False where there is nothing to show them."""
    if standing is None or ticket is None or ticket.kind != Kind.INCIDENT:
        return {"show": False}
    can_handle = standing.can(Perm.HANDLE_TICKETS)
    found = list(interventions.interventions_for(standing, ticket))
    return {
        "show": bool(found) or can_handle,
        "interventions": found,
        "can_handle": can_handle,
        "can_follow": standing.can(Perm.FOLLOW_TICKETS),
    }


@register.filter
def iso_datetime(value: str) -> datetime | str:
    """An ISO 8601 string (as notifications carry dates) back to a datetime."""
    return parse_datetime(value or "") or ""
