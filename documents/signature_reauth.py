"""Signing with a passkey or an authenticator app through allauth's own
reauthentication ("confirm access") pages.

The sign page notes in the session when the member opened it, with a nonce that its
form sends back. The member confirms on allauth's page (`mfa_reauthenticate_webauthn`
for a passkey, `mfa_reauthenticate` for a TOTP code), which records the authentication
in the session (allauth's authentication records) and sends them back to the sign
page. There, the newest MFA reauthentication made after the page was opened, less
than `REAUTHENTICATION_MAX_AGE` ago and not used yet, signs once.

This is the session's side; `signatures.signature_sign_reauthenticated` checks the
proof again (signer, age, authenticator still there, single use) and signs.
"""

from __future__ import annotations

import secrets
import time

from allauth.account.authentication import get_authentication_records
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from .signatures import REAUTHENTICATION_MAX_AGE, Confirmation, Reauthentication

PAGES_KEY = "documents:signature-pages"  # {request id: {"opened": time, "nonce": …}}
USED_KEY = "documents:signature-reauthentication-used"  # time of the last one used
# Reading the document may take a while: the page's note lasts an hour, while the
# reauthentication itself must be younger than REAUTHENTICATION_MAX_AGE.
PAGE_LIFETIME = 3600


def confirm_url(types: frozenset[str], next_url: str) -> str:
    """allauth's confirmation page for these authenticator types, back to
    `next_url`: the passkey one when there is a passkey (it links to the code one)."""
    name = (
        "mfa_reauthenticate_webauthn"
        if Confirmation.WEBAUTHN in types
        else "mfa_reauthenticate"
    )
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _pages(request: HttpRequest) -> dict:
    pages = request.session.get(PAGES_KEY)
    return pages if isinstance(pages, dict) else {}


def page_opened(request: HttpRequest, request_id: int) -> str:
    """Note that the sign page of `request_id` is shown and return its nonce. A note
    younger than `PAGE_LIFETIME` is kept: coming back from allauth's page must not
    make the confirmation older than the page."""
    now = time.time()
    pages = _pages(request)
    kept = {k: v for k, v in pages.items() if now - v["opened"] < PAGE_LIFETIME}
    page = kept.get(str(request_id))
    if page is None:
        page = kept[str(request_id)] = {
            "opened": now,
            "nonce": secrets.token_urlsafe(16),
        }
    if kept != pages:
        request.session[PAGES_KEY] = kept
    return page["nonce"]


def fresh(request: HttpRequest, request_id: int) -> Reauthentication | None:
    """The MFA reauthentication that would sign `request_id` now, if any; nothing is
    used up."""
    page = _pages(request).get(str(request_id))
    now = time.time()
    if page is None or now - page["opened"] >= PAGE_LIFETIME:
        return None
    after = max(page["opened"], request.session.get(USED_KEY, 0))
    max_age = REAUTHENTICATION_MAX_AGE.total_seconds()
    # allauth appends its records as they happen: the newest come last.
    for record in reversed(get_authentication_records(request, request.user)):
        at = record.get("at", 0)
        if at <= after or now - at > max_age:
            return None
        if (
            record.get("method") == "mfa"
            and record.get("reauthenticated")
            and record.get("type") in Confirmation.BY_REAUTHENTICATION
            and record.get("id") is not None
        ):
            return Reauthentication(
                user_id=request.user.pk,
                method=record["type"],
                authenticator_id=record["id"],
                at=at,
            )
    return None


def take(request: HttpRequest, request_id: int, nonce: str) -> Reauthentication | None:
    """The fresh reauthentication, used up to sign `request_id`: only from the page
    that was shown (its nonce); the page's note goes with it, so that it signs once."""
    page = _pages(request).get(str(request_id))
    if page is None or not secrets.compare_digest(
        page["nonce"].encode(), (nonce or "").encode()
    ):
        return None
    proof = fresh(request, request_id)
    if proof is not None:
        pages = _pages(request)
        pages.pop(str(request_id), None)
        request.session[PAGES_KEY] = pages
        request.session[USED_KEY] = proof.at
    return proof
