"""Interventions on an incident: the syndic sends a provider, schedules the visit,
attaches the quote, invoice and report, and prints the "demande d'intervention"."""

from __future__ import annotations

import io

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from copro.lib.uploads import clean_document
from residents.access import Perm, Standing
from residents.views import residence_view

from . import interventions, pdf, selectors
from .models import Intervention, InterventionDocument, Kind, Ticket

_LOCAL = {"type": "datetime-local"}
_FORMAT = "%Y-%m-%dT%H:%M"


class InterventionForm(forms.Form):
    provider = forms.ModelChoiceField(
        label=gettext_lazy("Provider"),
        queryset=None,
        empty_label="—",
        help_text=gettext_lazy("From the residence's directory."),
    )
    visit_starts_at = forms.DateTimeField(
        label=gettext_lazy("Visit"),
        required=False,
        widget=forms.DateTimeInput(attrs=_LOCAL, format=_FORMAT),
        help_text=gettext_lazy("Leave empty while the date is not agreed."),
    )
    visit_ends_at = forms.DateTimeField(
        label=gettext_lazy("Visit ends"),
        required=False,
        widget=forms.DateTimeInput(attrs=_LOCAL, format=_FORMAT),
        help_text=gettext_lazy("Two hours after the start if left empty."),
    )
    notes = forms.CharField(
        label=gettext_lazy("Instructions for the provider"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Access, keys, who to ask for: printed on the request."),
    )

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers

    def clean(self):
        data = super().clean()
        start, end = data.get("visit_starts_at"), data.get("visit_ends_at")
        if end and not start:
            self.add_error("visit_starts_at", _("Give the start of the visit."))
        elif start and end and end <= start:
            self.add_error("visit_ends_at", _("The visit must end after it starts."))
        return data


class AttachForm(forms.Form):
    role = forms.ChoiceField(
        label=gettext_lazy("Kind of document"),
        choices=InterventionDocument.Role.choices,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "PDF, image or office file. Quotes and invoices are seen by the council; "
            "the report by every co-owner."
        ),
    )
    title = forms.CharField(
        label=gettext_lazy("Title"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Leave empty to name it after the incident."),
    )

    def clean_file(self):
        return clean_document(self.cleaned_data["file"])


def _ticket_or_404(standing: Standing, ticket_id: int) -> Ticket:
    ticket = selectors.ticket_for(standing, ticket_id)
    if ticket is None:
        raise Http404
    return ticket


def _intervention_or_404(
    standing: Standing, ticket_id: int, intervention_id: int
) -> Intervention:
    ticket = _ticket_or_404(standing, ticket_id)
    intervention = interventions.intervention_for(standing, ticket, intervention_id)
    if intervention is None:
        raise Http404
    return intervention


def _incident_or_404(standing: Standing, ticket_id: int) -> Ticket:
    ticket = _ticket_or_404(standing, ticket_id)
    if ticket.kind != Kind.INCIDENT:
        raise Http404  # requests get quote requests, not interventions
    return ticket


@residence_view()
@require_GET
def intervention_list(
    request: HttpRequest, standing: Standing, ticket_id: int
) -> HttpResponse:
    """The ticket's interventions: the panel alone for htmx, else a page."""
    ticket = _ticket_or_404(standing, ticket_id)
    template = (
        "incidents/_interventions.html"
        if request.htmx
        else "incidents/intervention_list.html"
    )
    return render(request, template, {"ticket": ticket})


def _data(form: InterventionForm) -> dict:
    return {
        key: form.cleaned_data[key]
        for key in ("provider", "visit_starts_at", "visit_ends_at", "notes")
    }


@residence_view(Perm.HANDLE_TICKETS)
@require_http_methods(["GET", "POST"])
def intervention_new(
    request: HttpRequest, standing: Standing, ticket_id: int
) -> HttpResponse:
    ticket = _incident_or_404(standing, ticket_id)
    form = InterventionForm(
        request.POST or None, providers=interventions.providers_for(standing)
    )
    if request.method == "POST" and form.is_valid():
        try:
            interventions.intervention_create(
                ticket=ticket, by=request.user, **_data(form)
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The provider is assigned."))
            return redirect(ticket.get_absolute_url())
    return render(
        request,
        "incidents/intervention_form.html",
        {"form": form, "ticket": ticket, "intervention": None},
    )


@residence_view(Perm.HANDLE_TICKETS)
@require_http_methods(["GET", "POST"])
def intervention_edit(
    request: HttpRequest, standing: Standing, ticket_id: int, intervention_id: int
) -> HttpResponse:
    intervention = _intervention_or_404(standing, ticket_id, intervention_id)
    ticket = intervention.ticket
    form = InterventionForm(
        request.POST or None,
        providers=interventions.providers_for(standing),
        initial={
            "provider": intervention.provider_id,
            "visit_starts_at": intervention.visit_starts_at,
            "visit_ends_at": intervention.visit_ends_at,
            "notes": intervention.notes,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            interventions.intervention_update(
                intervention=intervention, by=request.user, **_data(form)
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The intervention is saved."))
            return redirect(ticket.get_absolute_url())
    return render(
        request,
        "incidents/intervention_form.html",
        {"form": form, "ticket": ticket, "intervention": intervention},
    )


@residence_view(Perm.HANDLE_TICKETS)
@require_POST
def intervention_delete(
    request: HttpRequest, standing: Standing, ticket_id: int, intervention_id: int
) -> HttpResponse:
    intervention = _intervention_or_404(standing, ticket_id, intervention_id)
    interventions.intervention_delete(intervention=intervention, by=request.user)
    messages.success(
        request, _("The intervention is called off; its documents stay in the library.")
    )
    return redirect(intervention.ticket.get_absolute_url())


@residence_view(Perm.HANDLE_TICKETS)
@require_http_methods(["GET", "POST"])
def intervention_attach(
    request: HttpRequest, standing: Standing, ticket_id: int, intervention_id: int
) -> HttpResponse:
    intervention = _intervention_or_404(standing, ticket_id, intervention_id)
    form = AttachForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            interventions.intervention_attach(
                intervention=intervention,
                by=request.user,
                role=form.cleaned_data["role"],
                upload=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The document is attached and filed."))
            return redirect(intervention.ticket.get_absolute_url())
    return render(
        request,
        "incidents/intervention_attach.html",
        {"form": form, "ticket": intervention.ticket, "intervention": intervention},
    )


@residence_view(Perm.HANDLE_TICKETS)
@require_GET
def intervention_pdf(
    request: HttpRequest, standing: Standing, ticket_id: int, intervention_id: int
) -> HttpResponse:
    """The "demande d'intervention" to send to the provider, as a download."""
    intervention = _intervention_or_404(standing, ticket_id, intervention_id)
    response = FileResponse(
        io.BytesIO(pdf.intervention_pdf(intervention)),
        as_attachment=True,
        filename=pdf.pdf_filename(intervention),
        content_type="application/pdf",
    )
    # As for every private file (copro.lib.files.serve_private).
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
