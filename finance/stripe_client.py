"""The thin boundary around the `stripe` package: the only module that calls it.

Tests replace Stripe at its HTTP layer (`stripe.default_http_client`), never here.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import stripe
from django.conf import settings

# What the views catch: Stripe unreachable, refused, misconfigured…
StripeError = stripe.StripeError
SignatureError = stripe.SignatureVerificationError


def cents(amount: Decimal) -> int:
    """Euros as Stripe's integer cents, exactly (no float on the way)."""
    return int((amount * 100).to_integral_exact())


def _client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, http_client=stripe.default_http_client
    )


def checkout_session_create(
    *,
    payment_id: int,
    amount: Decimal,
    label: str,
    email: str,
    success_url: str,
    cancel_url: str,
    expires_at: datetime,
) -> tuple[str, str]:
    """Open a Checkout Session for one payment; returns (session id, its URL).

    The payment's id is the idempotency key: asking twice opens one session."""
    params = {
        "mode": "payment",
        "payment_method_types": ["card", "sepa_debit"],
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": cents(amount),
                    "product_data": {"name": label},
                },
            }
        ],
        "metadata": {"payment_id": str(payment_id)},
        "client_reference_id": str(payment_id),
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(expires_at.timestamp()),
    }
    if email:
        params["customer_email"] = email
    session = _client().v1.checkout.sessions.create(
        params=params, options={"idempotency_key": f"payment-{payment_id}"}
    )
    return session.id, session.url


def event_verified(payload: bytes, signature: str) -> dict:
    """The event Stripe signed, as plain data; raises `SignatureError` (or
    ValueError for a body that is not JSON) otherwise."""
    stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    return json.loads(payload)
