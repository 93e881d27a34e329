"""Signature pages: the syndic requests and cancels, the member signs or declines,
both see the evidence; every reader of a document sees whether its signatures hold."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from copro.lib.forms import add_service_errors
from copro.lib.http import client_ip
from residents.access import Perm, Standing
from residents.views import residence_view

from . import selectors, signature_reauth, signatures
from .models import SignatureRequest, SignatureStatus

PAGE_SIZE = 25


class RequestForm(forms.Form):
    signer = forms.ModelChoiceField(
        label=gettext_lazy("Member who signs"), queryset=None, empty_label=None
    )
    message = forms.CharField(
        label=gettext_lazy("Message to the signer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Optional: what the document is and why it is needed."),
    )

    def __init__(self, *args, signers, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["signer"].queryset = signers
        self.fields["signer"].label_from_instance = lambda user: (
            f"{user.get_full_name() or user.email} ({user.email})"
        )


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("Code"),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"invalid": gettext_lazy("Enter the 6 digits of the code.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": r"\s*[0-9]{6}\s*",
                "size": 8,
            }
        ),
    )


class ConfirmedForm(forms.Form):
    """Sign after confirming on allauth's page: the sign page's nonce comes back."""

    nonce = forms.CharField(widget=forms.HiddenInput, max_length=64)


def _require_syndic(standing: Standing) -> None:
    if not standing.is_syndic:
        raise PermissionDenied


@residence_view()
@require_GET
def panel(request: HttpRequest, standing: Standing, document_id: int) -> HttpResponse:
    """The signatures of a document and whether they hold; htmx loads it into the
    document's page, without htmx it is a page of its own."""
    document = selectors.document_for(standing, document_id)
    if document is None:
        raise Http404
    context = _panel_context(standing, document)
    if request.htmx:
        return render(request, "documents/signature_panel.html", context)
    return render(request, "documents/signature_document.html", context)


def _panel_context(standing: Standing, document) -> dict:
    requests = list(signatures.requests_of_document(standing, document))
    current = document.current_version
    signed = current is not None and any(
        r.signed_version_id == current.pk for r in requests
    )
    return {
        "document": document,
        "requests": requests,
        "verification": signatures.verification_of(current) if signed else None,
        "can_request": standing.is_syndic
        and not document.is_personal
        and document.archived_at is None
        and current is not None
        and current.kind == "pdf",
    }


@residence_view(Perm.MANAGE_DOCUMENTS)
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest, standing: Standing, document_id: int) -> HttpResponse:
    _require_syndic(standing)
    document = selectors.manageable(standing, document_id)
    if document is None:
        raise Http404
    form = RequestForm(
        request.POST or None, signers=signatures.signers_for(standing, document)
    )
    if request.method == "POST" and form.is_valid():
        try:
            signatures.signature_request_create(
                standing=standing,
                document=document,
                signer=form.cleaned_data["signer"],
                message=form.cleaned_data["message"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("The request is sent: the member has been notified.")
            )
            return redirect(document.get_absolute_url())
    return render(
        request, "documents/signature_new.html", {"form": form, "document": document}
    )


def _to_sign_or_404(standing: Standing, request_id: int) -> SignatureRequest:
    """The member's own request, on a document they may still see."""
    found = signatures.request_to_sign(standing, request_id)
    if found is None or selectors.document_for(standing, found.document_id) is None:
        raise Http404
    return found


def _render_sign(request, signature_request, form, confirmed=None) -> HttpResponse:
    pending = signature_request.status == SignatureStatus.PENDING
    types = signatures.mfa_types(request.user)
    context = {
        "signature_request": signature_request,
        "document": signature_request.document,
        "method": signatures.confirmation_method(request.user, types),
        "form": form,
        "confirmed_form": confirmed,
        "pending": pending,
        "code_sent": bool(signature_request.sms_code_hash),
        "has_passkey": signatures.Confirmation.WEBAUTHN in types,
    }
    if pending and types:
        # Note when the page was opened: a confirmation through allauth's page
        # counts only if it comes after.
        context["nonce"] = signature_reauth.page_opened(request, signature_request.pk)
        proof = signature_reauth.fresh(request, signature_request.pk)
        context["reauthenticated"] = proof.method if proof else None
        context["confirm_url"] = signature_reauth.confirm_url(
            types, request.get_full_path()
        )
    return render(request, "documents/signature_sign.html", context)


def _signed_or_error(request, standing, signature_request, sign, form, confirmed=None):
    """Run `sign()`; to the evidence when done (or already decided), else the
    sign page again with the error on the form that was sent."""
    try:
        sign()
    except ValidationError as error:
        if error.code == "decided":
            messages.info(request, error.messages[0])
            return redirect(
                "documents:signature_evidence",
                standing.residence.slug,
                signature_request.pk,
            )
        add_service_errors(confirmed or form, error)
        signature_request.refresh_from_db()
        return _render_sign(request, signature_request, form, confirmed)
    messages.success(request, _("The document is signed. Thank you."))
    return redirect(
        "documents:signature_evidence", standing.residence.slug, signature_request.pk
    )


@residence_view()
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, standing: Standing, request_id: int) -> HttpResponse:
    """The signer reviews the document and signs with a fresh code, or after
    confirming who they are on allauth's page (passkey or authenticator app)."""
    signature_request = _to_sign_or_404(standing, request_id)
    evidence = {
        "ip": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", ""),
    }
    if request.method == "POST" and "reauthenticated" in request.POST:
        return _sign_confirmed(request, standing, signature_request, evidence)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _signed_or_error(
            request,
            standing,
            signature_request,
            lambda: signatures.signature_sign(
                request=signature_request,
                method=signatures.confirmation_method(request.user) or "",
                code=form.cleaned_data["code"],
                **evidence,
            ),
            form,
        )
    return _render_sign(request, signature_request, form)


def _sign_confirmed(request, standing, signature_request, evidence) -> HttpResponse:
    """The "Sign" button shown once the member confirmed on allauth's page."""
    if signature_request.status != SignatureStatus.PENDING:  # a double submit
        messages.info(request, _("This request is no longer waiting for a signature."))
        return redirect(
            "documents:signature_evidence",
            standing.residence.slug,
            signature_request.pk,
        )
    confirmed = ConfirmedForm(request.POST)
    proof = confirmed.is_valid() and signature_reauth.take(
        request, signature_request.pk, confirmed.cleaned_data["nonce"]
    )
    if not proof:
        confirmed.add_error(
            None,
            _(
                "Confirm who you are with your passkey or your authenticator app, "
                "then sign within 5 minutes."
            ),
        )
        return _render_sign(request, signature_request, CodeForm(), confirmed)
    return _signed_or_error(
        request,
        standing,
        signature_request,
        lambda: signatures.signature_sign_reauthenticated(
            request=signature_request, proof=proof, **evidence
        ),
        CodeForm(),
        confirmed,
    )


@residence_view()
@require_POST
def send_code(
    request: HttpRequest, standing: Standing, request_id: int
) -> HttpResponse:
    signature_request = _to_sign_or_404(standing, request_id)
    try:
        signatures.signature_code_send(request=signature_request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("A code is on its way by SMS: it is valid for 10 minutes.")
        )
    return redirect("documents:signature_sign", standing.residence.slug, request_id)


@residence_view()
@require_POST
def decline(request: HttpRequest, standing: Standing, request_id: int) -> HttpResponse:
    signature_request = _to_sign_or_404(standing, request_id)
    try:
        signatures.signature_request_decline(request=signature_request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("You declined to sign this document."))
    return redirect("documents:signatures", standing.residence.slug)


@residence_view(Perm.MANAGE_DOCUMENTS)
@require_POST
def cancel(request: HttpRequest, standing: Standing, request_id: int) -> HttpResponse:
    _require_syndic(standing)
    signature_request = signatures.request_for_syndic(standing, request_id)
    if signature_request is None:
        raise Http404
    try:
        signatures.signature_request_cancel(request=signature_request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The signature request is cancelled."))
    return redirect(signature_request.document.get_absolute_url())


@residence_view()
@require_GET
def evidence(request: HttpRequest, standing: Standing, request_id: int) -> HttpResponse:
    """Who signed, when, from where, the hashes, and a fresh verification of the
    stored signed PDF."""
    signature_request = signatures.request_evidence(standing, request_id)
    if signature_request is None:
        raise Http404
    signed = signature_request.signed_version
    return render(
        request,
        "documents/signature_evidence.html",
        {
            "signature_request": signature_request,
            "document": signature_request.document,
            "verification": (
                signatures.verification_of(signed, cached=False) if signed else None
            ),
            "confirmation_label": signatures.Confirmation.LABELS.get(
                signature_request.confirmation, ""
            ),
        },
    )


@residence_view()
@require_GET
def inbox(request: HttpRequest, standing: Standing) -> HttpResponse:
    """A member's requests, waiting ones first; the syndic sees the residence's."""
    page = Paginator(signatures.requests_in_residence(standing), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "documents/signature_inbox.html", {"page": page})
