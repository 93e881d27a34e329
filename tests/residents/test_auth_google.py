"""Signing in with Google: the button, the whole OAuth2 round trip, account linking.

Google is faked at the requests transport only: allauth's social adapter hands out a
real `requests.Session` whose https:// (and http://) transport is `FakeGoogle`, an
in-memory authorization server. It issues codes bound to the PKCE challenge and
redirect URI of the authorize URL the browser was sent to, answers the token
endpoint with an RS256-signed id_token, and publishes its signing certificate at
the certs URL (used where allauth verifies signatures: the One Tap endpoint). Any
other URL raises, so no test can reach the network.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.test import Client
from django.urls import reverse

from residents.models import Role, User

from ..factories import PASSWORD, make_member, make_residence, make_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
GOOGLE_LOGIN = reverse("google_login")  # /accounts/google/login/
GOOGLE_CALLBACK = reverse("google_callback")
GOOGLE_ONE_TAP = reverse("google_login_by_token")

CLIENT_ID = "client-123.apps.googleusercontent.com"
CLIENT_SECRET = "s3cret-from-google-console"  # noqa: S105
AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105
CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
USERINFO_URL = "https://www.googleapis.com/oauth2/v2/userinfo"


# --- The fake Google ----------------------------------------------------------------


def _signing_key(common_name: str):
    """An RSA key and a self-signed certificate, the shape of Google's v1/certs."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def google_key():
    return _signing_key("federated-signon.system.gserviceaccount.com")


@pytest.fixture(scope="module")
def forger_key():
    return _signing_key("not-google.example")


class FakeGoogle(requests.adapters.BaseAdapter):
    """Google's OAuth2/OIDC endpoints, answered from memory at the transport."""

    KID = "test-kid-1"

    def __init__(self, key, cert_pem: str):
        super().__init__()
        self.key = key
        self.cert_pem = cert_pem
        self.identity: dict = {}
        self.codes: dict[str, dict] = {}
        self.calls: list[requests.PreparedRequest] = []
        self.token_overrides: dict = {}

    # What the browser does at accounts.google.com: the person consents, Google
    # remembers what the code was issued for and sends it back.
    def authorize(self, authorize_url: str) -> dict:
        url = urlsplit(authorize_url)
        assert f"{url.scheme}://{url.netloc}{url.path}" == AUTHORIZE_URL
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        code = secrets.token_urlsafe(12)
        self.codes[code] = query
        return {"code": code, "state": query["state"]}

    def id_token(self, *, key=None, kid=None, **overrides) -> str:
        now = int(time.time())
        claims = {
            "iss": "https://accounts.google.com",
            "aud": CLIENT_ID,
            "azp": CLIENT_ID,
            "iat": now,
            "exp": now + 600,
            **self.identity,
            **overrides,
        }
        return jwt.encode(
            claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.KID}
        )

    def send(self, request, **kwargs):
        self.calls.append(request)
        url = request.url.split("?")[0]
        if request.method == "POST" and url == TOKEN_URL:
            status, body = self._token(parse_qs(request.body))
        elif request.method == "GET" and url == CERTS_URL:
            status, body = 200, {self.KID: self.cert_pem}
        elif request.method == "GET" and url == USERINFO_URL:
            status, body = 200, {"id": self.identity["sub"], **self.identity}
        else:
            raise requests.ConnectionError(f"FakeGoogle: no route to {request.url}")
        response = requests.Response()
        response.request, response.url = request, request.url
        response.status_code = status
        response.headers["Content-Type"] = "application/json; charset=utf-8"
        response._content = json.dumps(body).encode()
        return response

    def _token(self, form: dict) -> tuple[int, dict]:
        form = {k: v[0] for k, v in form.items()}
        issued = self.codes.pop(form.get("code", ""), None)
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        ).rstrip(b"=")
        if (
            issued is None
            or form.get("grant_type") != "authorization_code"
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != issued["redirect_uri"]
            or issued.get("code_challenge_method") != "S256"
            or challenge.decode() != issued.get("code_challenge")
        ):
            return 400, {"error": "invalid_grant"}
        return 200, {
            "access_token": "ya29.fake-access-token",
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": "openid email profile",
            "id_token": self.id_token(**self.token_overrides),
        }

    def close(self):
        pass

    def urls_called(self) -> list[str]:
        return [r.url.split("?")[0] for r in self.calls]


def _configure_google(settings) -> None:
    """What production does when GOOGLE_CLIENT_ID/SECRET are in the environment.

    allauth reads SOCIALACCOUNT_PROVIDERS at request time (adapter.list_apps), so
    overriding the whole setting is enough."""
    settings.GOOGLE_CLIENT_ID = CLIENT_ID
    settings.GOOGLE_CLIENT_SECRET = CLIENT_SECRET
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {
            **settings.SOCIALACCOUNT_PROVIDERS["google"],
            "APPS": [{"client_id": CLIENT_ID, "secret": CLIENT_SECRET, "key": ""}],
        }
    }


@pytest.fixture
def google(settings, monkeypatch, google_key) -> FakeGoogle:
    """Google configured and reachable only through the fake transport."""
    _configure_google(settings)
    fake = FakeGoogle(*google_key)
    fake.identity = {
        "sub": "109876543210",
        "email": "gaelle@example.org",
        "email_verified": True,
        "given_name": "Gaëlle",
        "family_name": "Martin",
        "name": "Gaëlle Martin",
    }

    def get_requests_session(self):
        session = requests.Session()
        session.mount("https://", fake)
        session.mount("http://", fake)
        return session

    monkeypatch.setattr(
        DefaultSocialAccountAdapter, "get_requests_session", get_requests_session
    )
    return fake


@pytest.fixture
def unconfigured_google(settings):
    """No Google credentials, as on a deployment without GOOGLE_CLIENT_ID."""
    settings.GOOGLE_CLIENT_ID = ""
    settings.GOOGLE_CLIENT_SECRET = ""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {**settings.SOCIALACCOUNT_PROVIDERS["google"], "APPS": []}
    }


def _start(client):
    response = client.post(GOOGLE_LOGIN)
    assert response.status_code == 302
    return response.url


def _round_trip(client, google: FakeGoogle):
    """Click the button, consent at Google, come back to our callback."""
    return client.get(GOOGLE_CALLBACK, google.authorize(_start(client)))


def _assert_authentication_error(response):
    """allauth's "Third-party login failure" page, answered 401."""
    assert response.status_code == 401
    assert "socialaccount/authentication_error.html" in [
        t.name for t in response.templates
    ]


def _signed_in_user_id(client):
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


# --- The button ---------------------------------------------------------------------


class TestLoginPage:
    def test_google_button_is_shown_when_configured(self, client, google):
        """With Google credentials set, the login page offers "Sign in with Google"."""
        response = client.get(LOGIN)
        assert response.status_code == 200
        assert response.context["google_login_enabled"] is True
        assert GOOGLE_LOGIN.encode() in response.content

    def test_google_button_is_absent_without_credentials(
        self, client, unconfigured_google
    ):
        """Without Google credentials, the login page has no Google button or link."""
        response = client.get(LOGIN)
        assert response.status_code == 200
        assert response.context["google_login_enabled"] is False
        assert GOOGLE_LOGIN.encode() not in response.content

    def test_google_login_url_is_not_found_without_credentials(
        self, client, unconfigured_google
    ):
        """Without credentials, the Google login URL answers 404 (not a server
        error a bot can trigger at will)."""
        response = client.post(GOOGLE_LOGIN)
        assert response.status_code == 404


# --- Starting the flow --------------------------------------------------------------


class TestStart:
    def test_post_redirects_to_google_with_state_and_pkce(self, client, google):
        """POSTing the button sends the browser to Google's authorize endpoint with
        our client id, callback URL, email scope, a state and an S256 PKCE challenge;
        nothing is sent to Google from the server yet."""
        url = urlsplit(_start(client))
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        assert f"{url.scheme}://{url.netloc}{url.path}" == AUTHORIZE_URL
        assert query["client_id"] == CLIENT_ID
        assert query["redirect_uri"] == f"http://testserver{GOOGLE_CALLBACK}"
        assert query["response_type"] == "code"
        assert {"email", "profile"} <= set(query["scope"].split())
        assert len(query["state"]) >= 12
        assert query["code_challenge_method"] == "S256"
        assert query["code_challenge"]
        assert google.calls == []

    def test_get_does_not_start_the_flow(self, client, google):
        """A plain GET (a link or an image on another site) does not redirect to
        Google: SOCIALACCOUNT_LOGIN_ON_GET is off, a confirmation page is shown."""
        response = client.get(GOOGLE_LOGIN)
        assert response.status_code == 200
        assert "Location" not in response

    def test_each_start_gets_a_fresh_state(self, client, google):
        """Two clicks give two different state values."""
        first = parse_qs(urlsplit(_start(client)).query)["state"][0]
        second = parse_qs(urlsplit(_start(client)).query)["state"][0]
        assert first != second


# --- Coming back from Google --------------------------------------------------------


class TestCallback:
    def test_new_person_gets_an_account_with_a_verified_email(self, client, google):
        """A first Google sign-in creates a user with Google's verified email and
        names, links the Google account, signs them in and sends them to join a
        residence."""
        response = _round_trip(client, google)

        user = User.objects.get(email="gaelle@example.org")
        assert (user.first_name, user.last_name) == ("Gaëlle", "Martin")
        assert _signed_in_user_id(client) == user.pk
        address = EmailAddress.objects.get(user=user)
        assert (address.email, address.verified, address.primary) == (
            "gaelle@example.org",
            True,
            True,
        )
        account = SocialAccount.objects.get(user=user)
        assert (account.provider, account.uid) == ("google", "109876543210")
        assert response.status_code == 302
        assert client.get(response.url).url == reverse("residents:join")

    def test_code_is_exchanged_server_side_with_secret_and_verifier(
        self, client, google
    ):
        """The callback makes exactly one server-to-server call: the code exchange at
        Google's token endpoint (the fake accepts it only with our secret, the
        registered redirect URI and the PKCE verifier matching the challenge)."""
        _round_trip(client, google)
        assert google.urls_called() == [TOKEN_URL]
        assert google.calls[0].method == "POST"
        assert _signed_in_user_id(client) is not None

    def test_existing_user_with_same_verified_email_is_connected(self, client, google):
        """Someone who already has an account with that (verified) email is signed in
        to it and the Google account is linked to it: no second user, password kept,
        and they land on their residence."""
        residence = make_residence()
        member = make_member(
            residence, Role.OWNER, user=make_user("gaelle@example.org")
        ).user

        response = _round_trip(client, google)

        assert User.objects.filter(email__iexact="gaelle@example.org").count() == 1
        assert SocialAccount.objects.get(uid="109876543210").user == member
        assert _signed_in_user_id(client) == member.pk
        member.refresh_from_db()
        assert member.check_password(PASSWORD)
        dashboard = reverse("residents:dashboard", args=[residence.slug])
        assert client.get(response.url).url == dashboard

    def test_existing_account_with_capitals_in_its_email_is_not_duplicated(
        self, client, google
    ):
        """An account created in the back office as Gaelle@Example.org is the same
        person as Google's gaelle@example.org: no crash, no second user."""
        User.objects.create_user("Gaelle@Example.org", PASSWORD)
        response = _round_trip(client, google)
        assert response.status_code < 500
        assert User.objects.filter(email__iexact="gaelle@example.org").count() == 1

    def test_returning_google_user_signs_into_the_same_account(self, client, google):
        """A second Google sign-in finds the linked account: still one user, one
        social account."""
        _round_trip(client, google)
        client.post(reverse("account_logout"))
        assert _signed_in_user_id(client) is None

        _round_trip(client, google)

        user = User.objects.get(email="gaelle@example.org")
        assert _signed_in_user_id(client) == user.pk
        assert SocialAccount.objects.filter(provider="google").count() == 1

    def test_forged_state_is_refused_before_any_call_to_google(self, client, google):
        """A callback whose state was not issued to this browser (login CSRF) is
        refused: the code is never exchanged, nobody is created or signed in."""
        params = google.authorize(_start(client))
        response = client.get(GOOGLE_CALLBACK, {**params, "state": "forged-state"})
        _assert_authentication_error(response)
        assert google.calls == []
        assert not User.objects.filter(email="gaelle@example.org").exists()
        assert _signed_in_user_id(client) is None

    def test_state_from_another_browser_is_refused(self, client, google):
        """A code and state obtained in one browser cannot be replayed in another."""
        params = google.authorize(_start(client))
        other = Client()
        _assert_authentication_error(other.get(GOOGLE_CALLBACK, params))
        assert google.calls == []
        assert other.session.get("_auth_user_id") is None

    def test_user_cancelling_at_google_creates_nothing(self, client, google):
        """Coming back with error=access_denied lands on the cancelled page."""
        state = google.authorize(_start(client))["state"]
        response = client.get(
            GOOGLE_CALLBACK, {"error": "access_denied", "state": state}
        )
        assert response.status_code == 302
        assert response.url == reverse("socialaccount_login_cancelled")
        assert google.calls == []
        assert not User.objects.exists()

    def test_id_token_for_another_client_is_refused(self, client, google):
        """An id_token whose audience is another Google client (a token minted for
        some other site) does not sign anyone in."""
        google.token_overrides = {"aud": "someone-else.apps.googleusercontent.com"}
        _assert_authentication_error(_round_trip(client, google))
        assert not User.objects.filter(email="gaelle@example.org").exists()
        assert _signed_in_user_id(client) is None

    def test_rejected_code_exchange_signs_nobody_in(self, client, google):
        """If Google refuses the code (expired, reused), the person sees an error."""
        params = google.authorize(_start(client))
        google.codes.clear()  # Google no longer knows the code
        _assert_authentication_error(client.get(GOOGLE_CALLBACK, params))
        assert google.urls_called() == [TOKEN_URL]
        assert _signed_in_user_id(client) is None

    def test_unverified_google_email_does_not_take_over_an_account(
        self, client, google
    ):
        """A Google identity whose email Google itself has not verified must not be
        signed into the local account that owns that email."""
        victim = make_user("gaelle@example.org")
        google.identity["email_verified"] = False
        _round_trip(client, google)
        assert _signed_in_user_id(client) != victim.pk
        assert not SocialAccount.objects.filter(user=victim).exists()


# --- Google One Tap (the id_token endpoint allauth also exposes) --------------------


class TestOneTap:
    """/accounts/google/login/token/ accepts an id_token posted by the browser; it
    is the one place allauth checks the signature against Google's certificates."""

    def _post(self, client, credential):
        client.cookies["g_csrf_token"] = "double-submit"
        return client.post(
            GOOGLE_ONE_TAP, {"credential": credential, "g_csrf_token": "double-submit"}
        )

    def test_token_signed_by_google_signs_in(self, client, google):
        """A credential signed with the key published at Google's certs URL signs in."""
        response = self._post(client, google.id_token())
        assert response.status_code == 302
        user = User.objects.get(email="gaelle@example.org")
        assert _signed_in_user_id(client) == user.pk
        assert google.urls_called() == [CERTS_URL]

    def test_token_signed_by_someone_else_is_refused(self, client, google, forger_key):
        """A credential with Google's key id but another key's signature is refused."""
        forged = google.id_token(key=forger_key[0])
        _assert_authentication_error(self._post(client, forged))
        assert google.urls_called() == [CERTS_URL]
        assert not User.objects.exists()
        assert _signed_in_user_id(client) is None

    def test_missing_double_submit_cookie_is_refused(self, client, google):
        """Without the g_csrf_token cookie matching the body, nothing is verified."""
        response = client.post(
            GOOGLE_ONE_TAP, {"credential": google.id_token(), "g_csrf_token": "x"}
        )
        _assert_authentication_error(response)
        assert google.calls == []
        assert not User.objects.exists()
