"""Interventions on an incident: the syndic sends a provider from the directory, the
visit goes into the residence's calendar, and the quote, invoice and report are kept
in the residence's library as documents.

Writes (`intervention_*`) and reads (scoped by the reader's `Standing`) of
`Intervention` and `InterventionDocument`. The calendar event of a visit is owned by
its intervention: setting, moving or removing the visit creates, moves or deletes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from copro.lib.uploads import CleanDocument
from directory.models import Contact, ContactKind
from documents import selectors as document_selectors
from documents.categories import Category as DocumentCategory
from documents.models import Visibility
from documents.services import documents_upload
from life.models import EventKind
from life.services import event_save
from residents.access import Perm, Standing
from residents.models import User

from .models import Intervention, InterventionDocument, Kind, Ticket
from .services import followers, notify_ticket

# A visit given without an end lasts this long in the calendar.
DEFAULT_VISIT_LENGTH = timedelta(hours=2)

Role = InterventionDocument.Role

# Where each attachment goes in the library, and who may open it there: the council
# follows the money (quotes, invoices); every co-owner may read what was done.
DOCUMENT_PLACES: dict[str, tuple[str, str]] = {
    Role.QUOTE: (DocumentCategory.QUOTES, Visibility.COUNCIL),
    Role.INVOICE: (DocumentCategory.INVOICES, Visibility.COUNCIL),
    Role.REPORT: (DocumentCategory.REPORTS, Visibility.OWNERS),
}


# --- Reads ---------------------------------------------------------------------------


def providers_for(standing: Standing) -> QuerySet[Contact]:
    """The residence's providers in its directory, to choose from."""
    return Contact.objects.filter(
        residence=standing.residence, kind=ContactKind.PROVIDER
    ).order_by("name", "pk")


def interventions_for(standing: Standing, ticket: Ticket) -> QuerySet[Intervention]:
    """The ticket's interventions (the ticket comes from `tickets_for`), each with
    only the documents this reader may open in the library (two queries)."""
    visible = document_selectors.library(standing).values("pk")
    documents = (
        InterventionDocument.objects.filter(document__in=visible)
        .select_related("document__residence")
        .order_by("role", "pk")
    )
    return (
        Intervention.objects.filter(ticket=ticket, ticket__residence=standing.residence)
        .select_related("provider", "event", "ticket__residence")
        .prefetch_related(Prefetch("documents", queryset=documents))
        .order_by("created_at", "pk")
    )


def intervention_for(
    standing: Standing, ticket: Ticket, intervention_id: int
) -> Intervention | None:
    """One intervention of a ticket the reader may see, or None."""
    return (
        Intervention.objects.filter(
            ticket=ticket, ticket__residence=standing.residence, pk=intervention_id
        )
        .select_related("provider", "event", "created_by", "ticket__residence__syndic")
        .first()
    )


def may_handle(standing: Standing) -> bool:
    return standing.can(Perm.HANDLE_TICKETS)


# --- Writes --------------------------------------------------------------------------


def _check(ticket: Ticket, provider: Contact, starts: datetime | None, ends):
    errors: dict[str, str] = {}
    if ticket.kind != Kind.INCIDENT:
        raise ValidationError(_("Providers are sent on incidents only."))
    if provider.residence_id != ticket.residence_id:
        errors["provider"] = _("Choose a provider of this residence's directory.")
    elif provider.kind != ContactKind.PROVIDER:
        errors["provider"] = _("This contact is not a provider.")
    if ends is not None and starts is None:
        errors["visit_starts_at"] = _("Give the start of the visit.")
    elif ends is not None and ends <= starts:
        errors["visit_ends_at"] = _("The visit must end after it starts.")
    if errors:
        raise ValidationError(errors)


def _event_text(intervention: Intervention) -> tuple[str, str]:
    """The event's title and description. Stored once and shown to everyone, they
    are written in the residence's language, not the syndic's."""
    ticket = intervention.ticket
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Intervention: %(provider)s — %(title)s") % {
            "provider": intervention.provider,
            "title": ticket.title,
        }
        description = _("%(category)s, incident no. %(number)s.") % {
            "category": ticket.get_category_display(),
            "number": ticket.pk,
        }
    return title[:200], description


def _sync_event(intervention: Intervention, by: User) -> None:
    """Make the calendar match the visit: create, move or delete its event."""
    if intervention.visit_starts_at is None:
        if intervention.event_id is not None:
            event = intervention.event
            # Unlink first: the deletion would otherwise null it without history.
            intervention.event = None
            intervention.save(update_fields=["event"])
            event.delete()
        return
    ticket = intervention.ticket
    title, description = _event_text(intervention)
    intervention.event = event_save(
        residence=ticket.residence,
        by=by,
        event=intervention.event,
        kind=EventKind.VISIT,
        title=title,
        description=description,
        place=ticket.location,
        starts_at=intervention.visit_starts_at,
        ends_at=intervention.visit_ends_at,
        council_only=False,
    )
    intervention.save(update_fields=["event"])


def _tell_followers(
    intervention: Intervention, by: User, change: str, visit: datetime | None
) -> None:
    """The reporter and those who confirmed hear who comes and when."""
    ticket = intervention.ticket
    notify_ticket(
        ticket,
        followers(ticket) - {by.pk},
        "intervention_scheduled",
        provider=str(intervention.provider),
        change=change,
        visit=visit.isoformat() if visit else "",
    )


@transaction.atomic
def intervention_create(
    *,
    ticket: Ticket,
    by: User,
    provider: Contact,
    visit_starts_at: datetime | None = None,
    visit_ends_at: datetime | None = None,
    notes: str = "",
) -> Intervention:
    """Send `provider` on `ticket`; a visit goes into the residence's calendar."""
    if visit_starts_at is not None and visit_ends_at is None:
        visit_ends_at = visit_starts_at + DEFAULT_VISIT_LENGTH
    _check(ticket, provider, visit_starts_at, visit_ends_at)
    intervention = Intervention(
        ticket=ticket,
        provider=provider,
        visit_starts_at=visit_starts_at,
        visit_ends_at=visit_ends_at,
        notes=notes,
        created_by=by,
    )
    intervention.full_clean(exclude=["event"])
    intervention.save()
    _sync_event(intervention, by)
    _tell_followers(
        intervention,
        by,
        "scheduled" if visit_starts_at else "assigned",
        visit_starts_at,
    )
    return intervention


@transaction.atomic
def intervention_update(
    *,
    intervention: Intervention,
    by: User,
    provider: Contact,
    visit_starts_at: datetime | None = None,
    visit_ends_at: datetime | None = None,
    notes: str = "",
) -> Intervention:
    """Change the provider, the visit or the instructions; the calendar follows and
    the followers hear of a new, moved or cancelled visit."""
    intervention = (
        Intervention.objects.select_for_update(of=("self",))
        .select_related("ticket__residence", "event", "provider")
        .get(pk=intervention.pk)
    )
    if visit_starts_at is not None and visit_ends_at is None:
        visit_ends_at = visit_starts_at + DEFAULT_VISIT_LENGTH
    _check(intervention.ticket, provider, visit_starts_at, visit_ends_at)
    before = (intervention.provider_id, intervention.visit_starts_at)
    intervention.provider = provider
    intervention.visit_starts_at = visit_starts_at
    intervention.visit_ends_at = visit_ends_at
    intervention.notes = notes
    intervention.full_clean(exclude=["event"])
    intervention.save()
    _sync_event(intervention, by)
    if before != (provider.pk, visit_starts_at):
        if visit_starts_at is not None:
            change = "scheduled"
        elif before[1] is not None:
            change = "cancelled"
        else:
            change = "assigned"
        _tell_followers(intervention, by, change, visit_starts_at)
    return intervention


@transaction.atomic
def intervention_delete(*, intervention: Intervention, by: User) -> None:
    """Call off an intervention: its visit leaves the calendar; its documents stay
    in the library."""
    intervention = (
        Intervention.objects.select_for_update(of=("self",))
        .select_related("ticket__residence", "event", "provider")
        .get(pk=intervention.pk)
    )
    had_visit = intervention.visit_starts_at is not None
    event = intervention.event
    intervention.delete()
    if event is not None:
        event.delete()
    if had_visit and intervention.visit_starts_at > timezone.now():
        _tell_followers(intervention, by, "cancelled", None)


def _document_title(intervention: Intervention, role: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return (
            _("%(kind)s — %(title)s (incident no. %(number)s)")
            % {
                "kind": Role(role).label,
                "title": intervention.ticket.title,
                "number": intervention.ticket.pk,
            }
        )[:200]


@transaction.atomic
def intervention_attach(
    *,
    intervention: Intervention,
    by: User,
    role: str,
    upload: CleanDocument,
    title: str = "",
) -> InterventionDocument:
    """Store a quote, an invoice or a report (checked with `clean_document`) in the
    residence's library, with the visibility its kind calls for, and link it."""
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a quote, an invoice or a report.")})
    category, visibility = DOCUMENT_PLACES[role]
    ticket = intervention.ticket
    with translation.override(settings.LANGUAGE_CODE):
        description = _("%(provider)s, on the incident “%(title)s”.") % {
            "provider": intervention.provider,
            "title": ticket.title,
        }
    [document] = documents_upload(
        residence=ticket.residence,
        by=by,
        uploads=[upload],
        category=category,
        visibility=visibility,
        title=title.strip() or _document_title(intervention, role),
        description=description,
    )
    link = InterventionDocument(intervention=intervention, document=document, role=role)
    link.full_clean()
    link.save()
    return link
