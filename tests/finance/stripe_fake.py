"""Stripe as seen from outside: its HTTP API answering Checkout, and webhook
signatures made as Stripe makes them (shared by the payment tests and the browser
journey)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs

import stripe

SECRET = "whsec_test_secret"


class FakeStripeHTTP(stripe.HTTPClient):
    """Stripe's API as seen over HTTP: answers POST /v1/checkout/sessions."""

    name = "fake"

    def __init__(self):
        super().__init__()
        self.calls: list[tuple[str, str, dict, dict]] = []
        self.fail = False

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        form = parse_qs(
            post_data.decode() if isinstance(post_data, bytes) else post_data or ""
        )
        self.calls.append((method, url, dict(headers or {}), form))
        if self.fail:
            return (
                json.dumps({"error": {"message": "down", "type": "api_error"}}),
                500,
                {},
            )
        assert method == "post" and url.endswith("/v1/checkout/sessions")
        number = len(self.calls)
        body = {
            "id": f"cs_test_{number}",
            "object": "checkout.session",
            "url": f"https://checkout.stripe.com/c/pay/cs_test_{number}",
            "payment_status": "unpaid",
            "status": "open",
        }
        return json.dumps(body), 200, {"request-id": f"req_{number}"}

    def close(self):
        pass


def sign(payload: str, secret: str = SECRET, at: int | None = None) -> str:
    at = at or int(time.time())
    mac = hmac.new(secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256)
    return f"t={at},v1={mac.hexdigest()}"
