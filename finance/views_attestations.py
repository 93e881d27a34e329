"""A co-owner's documents (attestation of payment, account statement, yearly
summary: issued and downloaded at once, and again later), and the public page
that checks a document's verification code."""

from __future__ import annotations

import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from copro.lib.forms import add_service_errors
from copro.lib.http import client_ip
from residents.access import Perm, Standing
from residents.views import residence_view

from . import attestation_pdf, attestations
from .forms_attestations import VerifyForm, document_forms
from .models import Account, Attestation


def _account(request: HttpRequest, standing: Standing) -> Account | None:
    """The account the page is about: a co-owner's own; for the syndic, the one
    chosen with `?account=` (None until chosen). Tenants are refused."""
    if not (standing.is_owner or standing.can(Perm.MANAGE_FINANCE)):
        raise PermissionDenied  # tenants are not members of the syndicat
    accounts = attestations.issuable_accounts(standing)
    if not standing.can(Perm.MANAGE_FINANCE):
        return accounts.first()
    wanted = request.GET.get("account", "")
    if not wanted:
        return None
    account = accounts.filter(pk=wanted).first() if wanted.isdigit() else None
    if account is None:
        raise Http404
    return account


def _pdf(attestation: Attestation, pdf: bytes) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{attestation_pdf.filename(attestation)}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@residence_view()
@require_http_methods(["GET", "POST"])
def documents(request: HttpRequest, standing: Standing) -> HttpResponse:
    """The forms that issue each kind of document (POST answers with the PDF) and
    the documents issued before."""
    account = _account(request, standing)
    kind = request.POST.get("kind") if request.method == "POST" else None
    forms = document_forms(request.POST if kind else None, kind)
    if request.method == "POST":
        if account is None:
            raise Http404
        form = forms.get(kind)
        if form is not None and form.is_valid():
            try:
                issued = attestations.attestation_issue(
                    kind=kind, account=account, period=form.period(), by=request.user
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return _pdf(issued.attestation, issued.pdf)
    context = {"account": account, "forms": forms}
    if standing.can(Perm.MANAGE_FINANCE):
        context["choices"] = attestations.issuable_accounts(standing)
        if account is not None:  # the forms and pages keep the account chosen
            context["query_account"] = account.pk
            context["query_string"] = f"account={account.pk}"
    if account is not None:
        context["page"] = Paginator(attestations.attestations_of(account), 20).get_page(
            request.GET.get("page")
        )
    return render(request, "finance/attestations.html", context)


@residence_view()
@require_GET
def document_pdf(request: HttpRequest, standing: Standing, pk: int) -> HttpResponse:
    """A document issued before, rendered again from its frozen figures."""
    if not (standing.is_owner or standing.can(Perm.MANAGE_FINANCE)):
        raise PermissionDenied
    attestation = attestations.attestation_for(standing, pk)
    if attestation is None:
        raise Http404
    return _pdf(attestation, attestations.attestation_pdf_again(attestation))


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Public: is this code one of ours? `?code=` (the QR code's address) checks at
    once; posting the PDF as well also says whether the file is the one issued.
    Shows the kind and the issue date only."""
    verdict = None
    data = request.POST if request.method == "POST" else request.GET
    form = VerifyForm(data, request.FILES or None) if "code" in data else VerifyForm()
    if form.is_bound and form.is_valid():
        document = form.cleaned_data.get("document")
        digest = None
        if document is not None:
            digest = hashlib.sha256()
            for chunk in document.chunks():
                digest.update(chunk)
            digest = digest.hexdigest()
        verdict = attestations.attestation_verify(
            form.cleaned_data["code"], client_ip(request), digest
        )
    status = 429 if verdict and verdict.state == "limited" else 200
    response = render(
        request,
        "finance/attestation_verify.html",
        {"form": form, "verdict": verdict},
        status=status,
    )
    # The code travels in the address: nothing of it goes onwards or is kept.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response
