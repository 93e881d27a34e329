"""Delegations, the council's relay and requests for quotes."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from copro.lib.uploads import clean_document
from residents.access import Perm, Standing
from residents.views import residence_view

from . import selectors, sharing
from .models import Delegation, Kind
from .views import _back, _ticket_or_404


class DelegationForm(forms.Form):
    delegate = forms.ModelChoiceField(
        label=gettext_lazy("A member of the residence"),
        queryset=None,
        empty_label="—",
        required=False,
    )
    email = forms.EmailField(
        label=gettext_lazy("Or someone else, by email"),
        help_text=gettext_lazy(
            "A relative or a proxy, for instance: we email them how to sign in or "
            "create their account with this address."
        ),
        required=False,
    )
    all_tickets = forms.BooleanField(
        label=gettext_lazy("All my incidents and requests, present and future"),
        required=False,
        initial=True,
    )
    tickets = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Or only these"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    until = forms.DateField(
        label=gettext_lazy("Until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, standing: Standing, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = sharing.delegable_people(
            standing.residence, standing.user
        )
        self.fields["tickets"].queryset = selectors.tickets_for(standing).filter(
            reporter=standing.user
        )

    def clean(self):
        data = super().clean()
        if not self.errors and bool(data.get("delegate")) == bool(data.get("email")):
            raise ValidationError(
                _("Choose a member or type an email address (one of the two).")
            )
        return data


@residence_view()
@require_http_methods(["GET", "POST"])
def delegations(request: HttpRequest, standing: Standing) -> HttpResponse:
    """A co-owner's delegations (given) and those they hold (received)."""
    form = (
        DelegationForm(request.POST or None, standing=standing)
        if standing.is_owner
        else None
    )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied  # only co-owners delegate
        if form.is_valid():
            try:
                sharing.delegation_create(
                    standing=standing,
                    delegate=form.cleaned_data["delegate"],
                    email=form.cleaned_data["email"],
                    until=form.cleaned_data["until"],
                    all_tickets=form.cleaned_data["all_tickets"],
                    tickets=list(form.cleaned_data["tickets"]),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The delegation is in place."))
                return redirect("incidents:delegations", standing.residence.slug)
    return render(
        request,
        "incidents/delegations.html",
        {
            "form": form,
            "today": timezone.localdate(),
            **sharing.delegations_of(standing),
        },
    )


@residence_view()
@require_POST
def delegation_revoke(
    request: HttpRequest, standing: Standing, delegation_id: int
) -> HttpResponse:
    delegation = Delegation.objects.filter(
        pk=delegation_id,
        residence=standing.residence,
        owner=request.user,
        revoked_at__isnull=True,
    ).first()
    if delegation is None:
        raise Http404
    sharing.delegation_revoke(delegation=delegation)
    messages.success(request, _("The delegation is revoked."))
    return redirect("incidents:delegations", standing.residence.slug)


@residence_view(Perm.FOLLOW_TICKETS)
@require_POST
def relay(request: HttpRequest, standing: Standing, ticket_id: int) -> HttpResponse:
    ticket = _ticket_or_404(standing, ticket_id)
    try:
        sharing.ticket_relay(
            ticket=ticket, by=request.user, comment=request.POST.get("comment", "")
        )
    except ValidationError as error:
        return _back(request, ticket, error)
    messages.success(request, _("The request is relayed to the syndic."))
    return _back(request, ticket)


@residence_view()
@require_POST
def quotes_request(
    request: HttpRequest, standing: Standing, ticket_id: int
) -> HttpResponse:
    ticket = _ticket_or_404(standing, ticket_id)
    if ticket.kind != Kind.REQUEST or ticket.reporter_id != request.user.pk:
        raise Http404
    providers = list(
        sharing.providers_of(standing.residence).filter(
            pk__in=[p for p in request.POST.getlist("providers") if p.isdigit()]
        )
    )
    try:
        created = sharing.quotes_request(
            ticket=ticket, by=request.user, providers=providers
        )
    except ValidationError as error:
        return _back(request, ticket, error)
    messages.success(
        request,
        _("Your request for a quote is sent to %(count)s provider(s).")
        % {"count": len(created)},
    )
    return _back(request, ticket)


@residence_view(Perm.HANDLE_TICKETS)
@require_POST
def quote_answer(
    request: HttpRequest, standing: Standing, ticket_id: int, quote_id: int
) -> HttpResponse:
    ticket = _ticket_or_404(standing, ticket_id)
    quote = ticket.quote_requests.select_related("provider").filter(pk=quote_id).first()
    upload = request.FILES.get("file")
    if quote is None:
        raise Http404
    if upload is None:
        return _back(request, ticket, ValidationError(_("Choose the quote's file.")))
    try:
        sharing.quote_answer(
            quote=quote, by=request.user, upload=clean_document(upload)
        )
    except ValidationError as error:
        return _back(request, ticket, error)
    messages.success(request, _("The quote is filed on the request."))
    return _back(request, ticket)
