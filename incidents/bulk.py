"""Bulk status changes on the queue: the syndic picks tickets and a target status.

Each ticket goes through `services.ticket_move` on its own (its own transaction, the
workflow checked from its own status, its followers notified): one refused move
does not undo the others, and the syndic is told which were refused and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residents.access import Perm, Standing
from residents.models import User

from . import selectors, services
from .models import Ticket
from .workflow import Status

MAX_TICKETS = 100


class TicketIdsField(forms.Field):
    """The ticket numbers ticked on the queue (several `tickets=<id>` values)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": gettext_lazy("Select at least one incident or request."),
        "invalid": gettext_lazy("Select incidents or requests from the list."),
        "too_many": gettext_lazy("Select at most %(max)s items at once."),
    }

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        try:
            ids = list(dict.fromkeys(int(v) for v in value))
        except (TypeError, ValueError) as exc:
            raise ValidationError(self.error_messages["invalid"], "invalid") from exc
        if any(pk <= 0 for pk in ids):
            raise ValidationError(self.error_messages["invalid"], "invalid")
        if len(ids) > MAX_TICKETS:
            raise ValidationError(
                self.error_messages["too_many"], "too_many", {"max": MAX_TICKETS}
            )
        return ids


class BulkMoveForm(forms.Form):
    tickets = TicketIdsField(label=gettext_lazy("Selected items"))
    to_status = forms.ChoiceField(
        label=gettext_lazy("New status"), choices=Status.choices
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@dataclass
class BulkResult:
    moved: list[Ticket] = field(default_factory=list)
    # (ticket, or its number when it is not found here; the reason)
    refused: list[tuple[Ticket | int, str]] = field(default_factory=list)


def tickets_move_many(
    *,
    standing: Standing,
    by: User,
    ticket_ids: list[int],
    to_status: str,
    comment: str = "",
) -> BulkResult:
    """Move each ticket in turn; never all-or-nothing. Tickets are looked up
    through the standing's scope: a number from elsewhere is refused as unknown."""
    standing.require(Perm.HANDLE_TICKETS)
    found = {
        ticket.pk: ticket
        for ticket in selectors.tickets_for(standing).filter(
            pk__in=ticket_ids, merged_into=None
        )
    }
    result = BulkResult()
    for pk in ticket_ids:
        ticket = found.get(pk)
        if ticket is None:
            result.refused.append((pk, _("No such incident or request here.")))
            continue
        try:
            moved = services.ticket_move(
                ticket=ticket,
                by=by,
                actors=selectors.actors(standing, ticket),
                to_status=to_status,
                comment=comment,
            )
        except ValidationError as error:
            result.refused.append((ticket, " ".join(error.messages)))
        else:
            result.moved.append(moved)
    return result
