"""Signing in: email login, throttling, no enumeration, remember me, Google, phone.

External services are faked only at their HTTP/client boundary: Google's OAuth
endpoints through the requests transport, Twilio through its SDK's HTTP client.
"""

from __future__ import annotations

import json
import logging
import re
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse
from twilio.http import HttpClient
from twilio.http.response import Response as TwilioResponse

from copro.lib import sms
from residents.models import Role, User

from ..conftest import login
from ..factories import PASSWORD, make_member, make_residence, make_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")


def _post_login(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"login": email, "password": password, **extra})


class TestEmailLogin:
    def test_verified_member_lands_on_their_dashboard(self, client):
        residence = make_residence()
        member = make_member(residence, Role.OWNER)
        response = _post_login(client, member.user.email)
        assert response.status_code == 302
        follow = client.get(response.url)
        assert follow.url == reverse("residents:dashboard", args=[residence.slug])

    def test_unverified_email_cannot_get_in(self, client, mailoutbox):
        user = make_user()
        EmailAddress.objects.filter(user=user).update(verified=False)
        response = _post_login(client, user.email)
        assert response.url == reverse("account_email_verification_sent")
        assert "_auth_user_id" not in client.session
        assert mailoutbox and mailoutbox[0].to == [user.email]

    def test_wrong_password_and_unknown_email_answer_alike(self, client):
        user = make_user("known@example.org")
        wrong = _post_login(client, user.email, "wrong-password")
        unknown = _post_login(client, "unknown@example.org", "wrong-password")
        assert wrong.status_code == unknown.status_code == 200
        assert wrong.context["form"].errors == unknown.context["form"].errors

    def test_repeated_failures_are_throttled(self, client):
        user = make_user()
        for _ in range(5):
            _post_login(client, user.email, "wrong-password")
        blocked = _post_login(client, user.email)  # even the right password now
        assert "_auth_user_id" not in client.session
        assert blocked.status_code in (200, 429)
        if blocked.status_code == 200:
            assert blocked.context["form"].non_field_errors()

    @pytest.mark.parametrize(("remember", "persistent"), [(False, False), (True, True)])
    def test_remember_me(self, client, remember, persistent):
        user = make_user()
        extra = {"remember": "on"} if remember else {}
        _post_login(client, user.email, **extra)
        cookie = client.cookies["sessionid"]
        assert bool(cookie["max-age"]) == persistent

    def test_signup_with_a_taken_email_reveals_nothing(self, client, mailoutbox):
        make_user("taken@example.org")
        data = {
            "password1": "A-long-new-pass-2026",
            "password2": "A-long-new-pass-2026",
        }
        taken = client.post(
            reverse("account_signup"), {"email": "taken@example.org", **data}
        )
        fresh = client.post(
            reverse("account_signup"), {"email": "fresh@example.org", **data}
        )
        assert taken.status_code == fresh.status_code == 302
        assert taken.url == fresh.url
        assert User.objects.filter(email="taken@example.org").count() == 1
        assert {m.to[0] for m in mailoutbox} == {
            "taken@example.org",
            "fresh@example.org",
        }


# --- Google -------------------------------------------------------------------------


class FakeGoogle(requests.adapters.BaseAdapter):
    """Google's token endpoint, served from memory at the requests transport."""

    def __init__(self, claims: dict):
        super().__init__()
        self.claims = claims
        self.calls: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.calls.append(request)
        response = requests.Response()
        response.request = request
        response.url = request.url
        if request.url.startswith("https://oauth2.googleapis.com/token"):
            id_token = jwt.encode(
                self.claims,
                "not-checked-because-fetched-directly-over-tls",
                algorithm="HS256",
            )
            body = {"access_token": "at-1", "expires_in": 3600, "id_token": id_token}
            response.status_code = 200
        else:
            body, response.status_code = {"error": "unexpected"}, 404
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        return response

    def close(self):
        pass


@pytest.fixture
def google(settings, monkeypatch):
    settings.GOOGLE_CLIENT_ID = "client-123.apps.googleusercontent.com"
    providers = {**settings.SOCIALACCOUNT_PROVIDERS}
    providers["google"] = {
        **providers["google"],
        "APPS": [
            {"client_id": settings.GOOGLE_CLIENT_ID, "secret": "s3cret", "key": ""}
        ],
    }
    settings.SOCIALACCOUNT_PROVIDERS = providers

    def make(email: str, sub: str = "10001"):
        now = int(time.time())
        fake = FakeGoogle(
            {
                "iss": "https://accounts.google.com",
                "aud": settings.GOOGLE_CLIENT_ID,
                "sub": sub,
                "email": email,
                "email_verified": True,
                "given_name": "Gaëlle",
                "family_name": "Google",
                "iat": now,
                "exp": now + 600,
            }
        )

        def session(self):
            s = requests.Session()
            s.mount("https://", fake)
            return s

        monkeypatch.setattr(
            DefaultSocialAccountAdapter, "get_requests_session", session
        )
        return fake

    return make


def _google_round_trip(client):
    start = client.post(reverse("google_login"))
    assert start.status_code == 302
    assert start.url.startswith("https://accounts.google.com/")
    state = parse_qs(urlsplit(start.url).query)["state"][0]
    return client.get(reverse("google_callback"), {"code": "code-1", "state": state})


class TestGoogle:
    def test_button_when_configured(self, client, google):
        google("someone@example.org")
        assert b"/accounts/google/login/" in client.get(LOGIN).content

    def test_button_absent_without_credentials(self, client):
        assert b"/accounts/google/login/" not in client.get(LOGIN).content

    def test_new_person_signs_up_with_a_verified_email(self, client, google):
        fake = google("gaelle@example.org")
        response = _google_round_trip(client)
        assert response.status_code == 302
        user = User.objects.get(email="gaelle@example.org")
        assert int(client.session["_auth_user_id"]) == user.pk
        assert EmailAddress.objects.get(user=user).verified
        assert SocialAccount.objects.get(user=user).uid == "10001"
        token_call = fake.calls[0]
        assert token_call.method == "POST"
        assert "code=code-1" in token_call.body

    def test_existing_account_is_connected_not_duplicated(self, client, google):
        user = make_user("known@example.org")
        google("known@example.org", sub="20002")
        _google_round_trip(client)
        assert User.objects.filter(email__iexact="known@example.org").count() == 1
        assert SocialAccount.objects.get(uid="20002").user == user
        assert int(client.session["_auth_user_id"]) == user.pk

    def test_forged_state_is_refused(self, client, google):
        google("gaelle@example.org")
        client.post(reverse("google_login"))
        client.get(reverse("google_callback"), {"code": "c", "state": "forged"})
        assert not User.objects.filter(email="gaelle@example.org").exists()
        assert "_auth_user_id" not in client.session


# --- Phone and Twilio ---------------------------------------------------------------


class TestPhoneVerification:
    PHONE = "+33612345678"

    def _start(self, client, user):
        login(client, user)
        response = client.post(reverse("account_change_phone"), {"phone": self.PHONE})
        assert response.status_code == 302
        assert response.url == reverse("account_verify_phone")
        assert [m.to for m in sms.outbox] == [self.PHONE]
        return re.search(r"([A-Z0-9][A-Z0-9-]{3,15})$", sms.outbox[0].body).group(1)

    def test_code_by_sms_verifies_the_number(self, client):
        user = make_user()
        code = self._start(client, user)
        client.post(reverse("account_verify_phone"), {"code": code})
        user.refresh_from_db()
        assert (user.phone, user.phone_verified) == (self.PHONE, True)

    def test_wrong_code_verifies_nothing(self, client):
        user = make_user()
        code = self._start(client, user)
        wrong = "AAAA-AAAA" if code != "AAAA-AAAA" else "BBBB-BBBB"
        response = client.post(reverse("account_verify_phone"), {"code": wrong})
        assert response.status_code == 200
        assert response.context["form"].errors
        user.refresh_from_db()
        assert not user.phone_verified

    def test_sms_is_sent_in_the_persons_language(self, client):
        user = make_user(language="en")
        self._start(client, user)
        assert sms.outbox[0].body.startswith("Your Copro verification code")


class FakeTwilioHTTP(HttpClient):
    """Twilio's REST API at the SDK's HTTP client boundary."""

    def __init__(self, status: int = 201):
        super().__init__(logging.getLogger("fake-twilio"), is_async=False)
        self.status = status
        self.requests: list[dict] = []

    def request(
        self,
        method,
        url,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):
        self.requests.append({"method": method, "url": url, "data": data})
        if self.status >= 400:
            body = {
                "code": 21211,
                "message": "Invalid 'To' Phone Number",
                "status": 400,
            }
        else:
            body = {
                "sid": "SM123",
                "status": "queued",
                "to": data["To"],
                "body": data["Body"],
            }
        return TwilioResponse(self.status, json.dumps(body))


class TestTwilioBackend:
    @pytest.fixture(autouse=True)
    def _twilio(self, settings):
        settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
        settings.TWILIO_AUTH_TOKEN = "token"
        settings.TWILIO_FROM_NUMBER = "+33700000000"

    def test_posts_a_message_to_twilio(self):
        http = FakeTwilioHTTP()
        sid = sms.TwilioBackend(http_client=http).send(
            sms.SMS("+33612345678", "Bonjour")
        )
        assert sid == "SM123"
        [call] = http.requests
        assert call["method"] == "POST"
        assert call["url"].endswith(f"/Accounts/{'AC' + '0' * 32}/Messages.json")
        assert call["data"] == {
            "To": "+33612345678",
            "From": "+33700000000",
            "Body": "Bonjour",
        }

    def test_refusal_raises_sms_error(self):
        backend = sms.TwilioBackend(http_client=FakeTwilioHTTP(status=400))
        with pytest.raises(sms.SMSError):
            backend.send(sms.SMS("+33", "x"))
