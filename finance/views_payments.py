"""Paying online: choose what to pay, Stripe Checkout, the "processing" page that
waits for the webhook, and the webhook itself."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from residents.access import Standing
from residents.views import residence_view

from . import payments, stripe_client
from .models import PaymentStatus

log = logging.getLogger(__name__)


def _payer(standing: Standing):
    """Co-owners with an account pay; other members are refused, and a co-owner
    without an account has nothing here."""
    if not standing.is_owner:
        raise PermissionDenied
    account = payments.payer_account(standing)
    if account is None:
        raise Http404
    return account


@residence_view()
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, standing: Standing) -> HttpResponse:
    account = _payer(standing)
    chosen: list[int] = []
    whole = True
    errors: list[str] = []
    if request.method == "POST":
        whole = request.POST.get("what") != "calls"
        chosen = [int(v) for v in request.POST.getlist("calls") if v.isdigit()]
        try:
            payment = payments.checkout_start(
                account=account, by=request.user, whole=whole, call_ids=chosen
            )
        except ValidationError as error:
            errors = error.messages
        else:
            response = HttpResponseRedirect(payment.stripe_session_url)
            response.status_code = 303  # "see other": the browser GETs Stripe
            return response
    elif request.GET.get("cancelled"):
        messages.info(request, _("Payment cancelled: nothing was charged."))
    context = {
        "account": account,
        "owed": payments.balance_owed(account),
        "dues": payments.unpaid_calls(account),
        "recent": payments.recent_payments(account),
        "whole": whole,
        "chosen": chosen,
        "errors": errors,
    }
    return render(request, "finance/pay.html", context)


@residence_view()
@require_GET
def pay_done(request: HttpRequest, standing: Standing, pk: int) -> HttpResponse:
    """Where Stripe sends the payer back: "processing" until the webhook arrived.
    It only reads; htmx polls the same URL for the status fragment."""
    _payer(standing)
    payment = payments.payment_of(standing, pk)
    if payment is None:
        raise Http404
    context = {"payment": payment, "pending": payment.status == PaymentStatus.PENDING}
    if request.headers.get("HX-Request"):
        return render(request, "finance/pay_status.html", context)
    return render(request, "finance/pay_done.html", context)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's calls: verified by signature, each event processed once."""
    signature = request.headers.get("Stripe-Signature", "")
    try:
        event = stripe_client.event_verified(request.body, signature)
    except (stripe_client.SignatureError, ValueError):
        log.warning("Stripe webhook refused: bad signature or body")
        return HttpResponseBadRequest("bad signature")
    if not isinstance(event, dict) or not event.get("id"):
        return HttpResponseBadRequest("bad event")
    payments.stripe_event_handle(event)
    return HttpResponse("ok")
