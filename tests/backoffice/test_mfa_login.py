"""The real sign-in: password, then a TOTP code from an authenticator app."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

import pytest
from django.urls import reverse

from ..conftest import give_mfa
from ..factories import PASSWORD

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXP"  # the one conftest.give_mfa stores


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238, as a phone's authenticator app computes it (30 s, 6 digits)."""
    counter = int((at or time.time()) // 30)
    digest = hmac.new(
        base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def test_staff_reach_the_back_office_after_password_and_totp(world, client):
    staff = world.user("staff")
    give_mfa(staff)
    response = client.post(
        reverse("account_login"),
        {"login": staff.email, "password": PASSWORD},
    )
    assert response.url == reverse("mfa_authenticate")
    assert client.get(reverse("backoffice:index")).status_code == 302  # not yet in

    code = totp(SECRET)
    wrong_code = "000000" if code != "000000" else "111111"
    wrong = client.post(reverse("mfa_authenticate"), {"code": wrong_code})
    assert wrong.status_code == 200 and wrong.context["form"].errors

    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("backoffice:index")).status_code == 200


def test_password_alone_does_not_open_the_back_office(world, client):
    """Without an authenticator the staff member is sent to set one up."""
    staff = world.user("staff")
    client.post(
        reverse("account_login"),
        {"login": staff.email, "password": PASSWORD},
    )
    response = client.get(reverse("backoffice:index"))
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


def test_staff_enrol_totp_by_scanning_the_qr_code(world, client):
    """Set-up page shows the QR code (a data: image the CSP allows); confirming a
    code from the app activates MFA and opens the back office on next sign-in."""
    from allauth.mfa.models import Authenticator

    staff = world.user("staff")
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    # allauth asks for the password again before enrolling a second factor.
    ask = client.get(reverse("mfa_activate_totp"))
    assert ask.url.startswith(reverse("account_reauthenticate"))
    back = client.post(ask.url, {"password": PASSWORD})
    assert back.url == reverse("mfa_activate_totp")
    page = client.get(back.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html
    assert "img-src 'self' data:" in page["Content-Security-Policy"]
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=staff, type="totp").exists()
