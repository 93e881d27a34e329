from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from copro.lib.files import serve_private
from residents.access import Perm, Standing
from residents.views import residence_view

from . import selectors, services, sharing
from .forms import (
    CommentForm,
    MergeForm,
    MoveForm,
    PriorityForm,
    RatingForm,
    TicketForm,
)
from .models import Category, Kind, Priority
from .workflow import Status, allowed

PAGE_SIZE = 25


def _ticket_or_404(standing: Standing, ticket_id: int):
    ticket = selectors.ticket_for(standing, ticket_id)
    if ticket is None:
        raise Http404
    return ticket


@residence_view(Perm.VIEW_TICKETS)
@require_GET
def ticket_list(request: HttpRequest, standing: Standing) -> HttpResponse:
    """The residence's open incidents, or (?mine=1) my incidents and requests, or
    (?followed=1, and always for a delegate from outside) those I follow for a
    co-owner."""
    show_followed = standing.is_delegate or request.GET.get("followed") == "1"
    show_mine = not show_followed and request.GET.get("mine") == "1"
    if show_followed:
        tickets = selectors.followed(standing)
    elif show_mine:
        tickets = selectors.mine(standing)
    else:
        tickets = selectors.residence_incidents(
            standing, open_only=request.GET.get("all") != "1"
        )
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/list.html",
        {
            "page": page,
            "mine": show_mine,
            "followed": show_followed,
            "query_string": query.urlencode(),
            "can_follow": standing.can(Perm.FOLLOW_TICKETS),
        },
    )


@residence_view(Perm.FOLLOW_TICKETS)
@require_GET
def ticket_queue(request: HttpRequest, standing: Standing) -> HttpResponse:
    filters = {
        key: request.GET.get(key, "")
        for key in ("kind", "status", "category", "priority")
    }
    filters["status"] = request.GET.get("status", "open")
    page = Paginator(selectors.queue(standing, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/queue.html",
        {
            "page": page,
            "filters": filters,
            "statuses": Status.choices,
            "categories": Category.choices,
            "priorities": Priority.choices,
            "kinds": Kind.choices,
            "query_string": query.urlencode(),
        },
    )


@residence_view()
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest, standing: Standing, kind: str) -> HttpResponse:
    form = TicketForm(
        request.POST or None,
        request.FILES or None,
        kind=kind,
        initial={"category": request.GET.get("category", "")},
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "photos"}
        try:
            ticket = services.ticket_declare(
                residence=standing.residence,
                reporter=request.user,
                kind=kind,
                photos=form.cleaned_data["photos"],
                **data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Your incident is declared: you will be told of each step.")
                if kind == Kind.INCIDENT
                else _("Your request is sent: you will be told of each step."),
            )
            return redirect(ticket.get_absolute_url())
    category = form["category"].value()
    similar = (
        selectors.similar_open(standing, category)
        if kind == Kind.INCIDENT and category
        else []
    )
    return render(
        request,
        "incidents/new.html",
        {"form": form, "kind": kind, "similar": similar},
    )


@residence_view()
@require_GET
def similar(request: HttpRequest, standing: Standing) -> HttpResponse:
    """The open incidents of a category (htmx: shown as the category is chosen)."""
    category = request.GET.get("category", "")
    tickets = selectors.similar_open(standing, category) if category else []
    return render(request, "incidents/_similar.html", {"similar": tickets})


@residence_view(Perm.VIEW_TICKETS)
@require_GET
def ticket_detail(
    request: HttpRequest, standing: Standing, ticket_id: int
) -> HttpResponse:
    ticket = _ticket_or_404(standing, ticket_id)
    actors = selectors.actors(standing, ticket)
    targets = allowed(ticket.status, actors)
    return render(
        request,
        "incidents/detail.html",
        {
            "ticket": ticket,
            "photos": ticket.photos.all(),
            "transitions": ticket.transitions.select_related("by"),
            "comments": selectors.comments_for(standing, ticket),
            "comment_form": CommentForm(),
            "move_form": MoveForm(targets=targets) if targets else None,
            "priority_form": (
                PriorityForm(initial={"priority": ticket.priority})
                if standing.can(Perm.HANDLE_TICKETS)
                else None
            ),
            "rating_form": (
                RatingForm()
                if ticket.reporter_id == request.user.pk
                and ticket.status in (Status.RESOLVED, Status.CLOSED)
                and ticket.rating is None
                else None
            ),
            "can_follow": standing.can(Perm.FOLLOW_TICKETS),
            "can_confirm": ticket.kind == Kind.INCIDENT
            and ticket.is_open
            and ticket.reporter_id != request.user.pk
            and standing.can(Perm.VIEW_RESIDENCE),
            "confirmed": selectors.has_confirmed(standing, ticket),
            "can_relay": ticket.kind == Kind.REQUEST
            and not ticket.private
            and ticket.relayed_at is None
            and standing.can(Perm.FOLLOW_TICKETS)
            and not standing.can(Perm.HANDLE_TICKETS),
            "can_handle": standing.can(Perm.HANDLE_TICKETS),
            "quote_requests": ticket.quote_requests.select_related("provider", "quote"),
            "providers": (
                sharing.providers_of(standing.residence)
                if ticket.kind == Kind.REQUEST
                and ticket.category == Category.PRIVATE_WORKS
                and ticket.reporter_id == request.user.pk
                else []
            ),
        },
    )


def _back(request, ticket, error: ValidationError | None = None):
    if error is not None:
        for message in error.messages:
            messages.error(request, message)
    return redirect(ticket.get_absolute_url())


@residence_view()
@require_POST
def ticket_confirm(
    request: HttpRequest, standing: Standing, ticket_id: int
) -> HttpResponse:
    ticket = _ticket_or_404(standing, ticket_id)
    try:
        counted = services.ticket_confirm(ticket=ticket, user=request.user)
    except ValidationError as error:
        return _back(request, ticket, error)
    if counted:
        messages.success(request, _("Thank you: your confirmation is counted."))
    return _back(request, ticket)


@residence_view(Perm.VIEW_TICKETS)
@require_POST
def ticket_comment(
    request: HttpRequest, standing: Standing, ticket_id: int
) -> HttpResponse:
    ticket = _ticket_or_404(standing, ticket_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _back(request, ticket, ValidationError(_("Write a comment first.")))
    internal = form.cleaned_data["internal"]
    if internal and not standing.can(Perm.FOLLOW_TICKETS):
        raise PermissionDenied
    services.ticket_comment(
        ticket=ticket,
        author=request.user,
        body=form.cleaned_data["body"],
        internal=internal,
    )
    messages.success(request, _("Your comment is added."))
    return _back(request, ticket)


@residence_view()
@require_POST
def ticket_move(
    request: HttpRequest, standing: Standing, ticket_id: int
) -> HttpResponse:
    ticket = _ticket_or_404(standing, ticket_id)
    actors = selectors.actors(standing, ticket)
    targets = allowed(ticket.status, actors)
    if not targets:
        raise PermissionDenied
    form = MoveForm(request.POST, targets=targets)
    if not form.is_valid():
        refused = ValidationError(_("This change of status is not possible."))
        return _back(request, ticket, refused)
    try:
        services.ticket_move(
            ticket=ticket,
            by=request.user,
            actors=actors,
            to_status=form.cleaned_data["to_status"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        return _back(request, ticket, error)
    messages.success(request, _("The status is changed."))
    return _back(request, ticket)


@residence_view(Perm.HANDLE_TICKETS)
@require_POST
def ticket_priority(
    request: HttpRequest, standing: Standing, ticket_id: int
) -> HttpResponse:
    ticket = _ticket_or_404(standing, ticket_id)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _back(request, ticket, ValidationError(_("Choose a priority.")))
    services.ticket_set_priority(ticket=ticket, priority=form.cleaned_data["priority"])
    messages.success(request, _("The priority is saved."))
    return _back(request, ticket)


@residence_view(Perm.FOLLOW_TICKETS)
@require_POST
def ticket_merge(
    request: HttpRequest, standing: Standing, ticket_id: int
) -> HttpResponse:
    ticket = _ticket_or_404(standing, ticket_id)
    form = MergeForm(request.POST)
    into = form.is_valid() and selectors.ticket_for(standing, form.cleaned_data["into"])
    if not into:
        return _back(request, ticket, ValidationError(_("No such incident here.")))
    try:
        services.ticket_merge(duplicate=ticket, into=into, by=request.user)
    except ValidationError as error:
        return _back(request, ticket, error)
    messages.success(request, _("Merged: it is now closed as a duplicate."))
    return redirect(into.get_absolute_url())


@residence_view()
@require_POST
def ticket_rate(
    request: HttpRequest, standing: Standing, ticket_id: int
) -> HttpResponse:
    ticket = _ticket_or_404(standing, ticket_id)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _back(request, ticket, ValidationError(_("Choose from 1 to 5 stars.")))
    try:
        services.ticket_rate(
            ticket=ticket,
            user=request.user,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        return _back(request, ticket, error)
    messages.success(request, _("Thank you for your rating."))
    return _back(request, ticket)


@residence_view(Perm.VIEW_TICKETS)
@require_GET
def ticket_photo(
    request: HttpRequest,
    standing: Standing,
    ticket_id: int,
    photo_id: int,
    thumbnail: bool = False,
) -> HttpResponse:
    ticket = _ticket_or_404(standing, ticket_id)
    photo = ticket.photos.filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    field = photo.thumbnail if thumbnail else photo.image
    return serve_private(field, filename=photo.original_name)
