"""Signing in by email and password, and signing up, as allauth is configured for
Copro: mandatory email verification, no account enumeration, failed-login
throttling, "remember me".

Emails are read from the `mailoutbox` fixture; rate limits live in the default
cache, emptied before every test.
"""

from __future__ import annotations

import re

import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from residents.models import Role, User

from ..factories import PASSWORD, make_member, make_residence, make_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
SIGNUP = reverse("account_signup")
VERIFICATION_SENT = reverse("account_email_verification_sent")
NEW_PASSWORD = "A-long-new-pass-2026"  # noqa: S105


@pytest.fixture(autouse=True)
def _empty_rate_limits():
    """Failed-login counters live in the cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def _post_login(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"login": email, "password": password, **extra})


def _signed_in_user_id(client):
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def _error(key: str, language: str = "fr") -> str:
    with translation.override(language):
        return str(get_adapter().error_messages[key])


class TestSignIn:
    def test_verified_member_lands_on_their_residence_dashboard(self, client):
        """Right email and password: signed in, then sent to their residence."""
        residence = make_residence()
        member = make_member(residence, Role.OWNER).user

        response = _post_login(client, member.email)

        assert response.status_code == 302
        assert _signed_in_user_id(client) == member.pk
        final = client.get(response.url, follow=True)
        assert final.status_code == 200
        assert final.request["PATH_INFO"] == reverse(
            "residents:dashboard", args=[residence.slug]
        )

    def test_email_is_matched_whatever_its_case(self, client):
        """Typing the address with capitals and spaces still signs in."""
        member = make_user("camille@example.org")
        _post_login(client, "  Camille@Example.ORG ")
        assert _signed_in_user_id(client) == member.pk

    def test_unverified_email_cannot_get_in(self, client, mailoutbox):
        """Right password but an unverified address: not signed in, sent to the
        "check your inbox" page, and a confirmation link is emailed."""
        user = make_user("pending@example.org")
        EmailAddress.objects.filter(user=user).update(verified=False)

        response = _post_login(client, user.email)

        assert response.status_code == 302
        assert response.url == VERIFICATION_SENT
        assert _signed_in_user_id(client) is None
        [mail] = mailoutbox
        assert mail.to == [user.email]
        assert "/accounts/confirm-email/" in mail.body

    def test_confirming_the_emailed_link_signs_in(self, client, mailoutbox):
        """Following the confirmation link (and confirming on the page) verifies the
        address and signs the person in."""
        user = make_user("pending@example.org")
        EmailAddress.objects.filter(user=user).update(verified=False)
        _post_login(client, user.email)
        link = re.search(
            r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[0].body
        )

        page = client.get(link.group(0))
        assert page.status_code == 200
        assert _signed_in_user_id(client) is None  # GET alone confirms nothing
        client.post(link.group(0))

        assert EmailAddress.objects.get(user=user).verified
        assert _signed_in_user_id(client) == user.pk

    def test_inactive_account_cannot_get_in(self, client):
        """A deactivated account is not signed in even with the right password."""
        user = make_user(is_active=False)
        response = _post_login(client, user.email)
        assert _signed_in_user_id(client) is None
        assert response.status_code == 302
        assert response.url == reverse("account_inactive")

    def test_account_created_with_capitals_in_its_email_can_sign_in(self, client):
        """An account created in the back office as Anne.Admin@Syndic.fr can sign in
        (or is at least asked to verify its address), typed as stored."""
        User.objects.create_user("Anne.Admin@Syndic.fr", PASSWORD)
        response = _post_login(client, "Anne.Admin@Syndic.fr")
        assert response.status_code == 302


class TestNoEnumeration:
    def test_wrong_password_and_unknown_email_answer_alike(self, client):
        """A wrong password for a real account and any password for an unknown
        address give the same status and the same error text."""
        make_user("known@example.org")

        wrong = _post_login(client, "known@example.org", "not-the-password")
        unknown = _post_login(client, "nobody@example.org", "not-the-password")

        assert wrong.status_code == unknown.status_code == 200
        assert wrong.context["form"].errors == unknown.context["form"].errors
        assert wrong.context["form"].non_field_errors() == [
            _error("email_password_mismatch")
        ]
        assert _signed_in_user_id(client) is None

    def test_signup_with_a_taken_email_looks_like_a_fresh_signup(
        self, client, mailoutbox
    ):
        """Signing up with an address that already has an account shows exactly what
        a fresh signup shows; the owner of the address gets an email about it and
        no second account is made."""
        make_user("taken@example.org")
        passwords = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}

        taken = client.post(SIGNUP, {"email": "taken@example.org", **passwords})
        fresh = Client().post(SIGNUP, {"email": "fresh@example.org", **passwords})

        assert taken.status_code == fresh.status_code == 302
        assert taken.url == fresh.url == VERIFICATION_SENT
        taken_page = client.get(taken.url)
        fresh_page = Client().get(fresh.url)
        assert taken_page.status_code == fresh_page.status_code == 200
        assert [t.name for t in taken_page.templates] == [
            t.name for t in fresh_page.templates
        ]
        assert User.objects.filter(email__iexact="taken@example.org").count() == 1
        assert {m.to[0] for m in mailoutbox} == {
            "taken@example.org",
            "fresh@example.org",
        }
        to_owner = next(m for m in mailoutbox if m.to == ["taken@example.org"])
        assert "/accounts/confirm-email/" not in to_owner.body

    def test_password_reset_for_unknown_email_looks_like_a_known_one(
        self, client, mailoutbox
    ):
        """Asking for a password reset answers the same for a known and an unknown
        address; only the real owner gets a reset link."""
        make_user("known@example.org")
        url = reverse("account_reset_password")

        known = client.post(url, {"email": "known@example.org"})
        unknown = Client().post(url, {"email": "nobody@example.org"})

        assert known.status_code == unknown.status_code == 302
        assert known.url == unknown.url
        links = [m for m in mailoutbox if "/accounts/password/reset/key/" in m.body]
        assert [m.to for m in links] == [["known@example.org"]]


class TestThrottling:
    """ACCOUNT_RATE_LIMITS["login_failed"] = "10/m/ip,5/5m/key"."""

    def test_five_failures_lock_the_account_even_for_the_right_password(self, client):
        """After 5 failed attempts on one account, the 6th is refused with "too many
        failed login attempts", even with the right password."""
        user = make_user()
        for _ in range(5):
            response = _post_login(client, user.email, "not-the-password")
            assert response.context["form"].non_field_errors() == [
                _error("email_password_mismatch")
            ]

        blocked = _post_login(client, user.email)

        assert blocked.status_code == 200  # allauth answers with a form error
        assert blocked.context["form"].non_field_errors() == [
            _error("too_many_login_attempts")
        ]
        assert _error("too_many_login_attempts").encode() in blocked.content
        assert _signed_in_user_id(client) is None

    def test_four_failures_do_not_lock_the_account(self, client):
        """Below the limit, the right password still signs in."""
        user = make_user()
        for _ in range(4):
            _post_login(client, user.email, "not-the-password")
        _post_login(client, user.email)
        assert _signed_in_user_id(client) == user.pk

    def test_throttle_is_per_account(self, client):
        """Locking one account does not lock another one signing in from elsewhere."""
        victim, other = make_user(), make_user()
        for _ in range(5):
            _post_login(client, victim.email, "not-the-password")

        elsewhere = Client(REMOTE_ADDR="203.0.113.7")
        _post_login(elsewhere, other.email)

        assert elsewhere.session.get("_auth_user_id") == str(other.pk)

    def test_throttle_is_the_same_for_unknown_addresses(self, client):
        """An unknown address is throttled like a real one: the lock-out does not
        reveal which addresses have accounts."""
        for _ in range(5):
            _post_login(client, "nobody@example.org", "not-the-password")
        blocked = _post_login(client, "nobody@example.org", "not-the-password")
        assert blocked.context["form"].non_field_errors() == [
            _error("too_many_login_attempts")
        ]

    def test_ten_failures_from_one_ip_block_that_ip(self, client):
        """Ten failures in a minute from one IP (spread over many addresses) block
        further attempts from that IP, even for an untouched account."""
        target = make_user()
        for n in range(10):
            _post_login(client, f"guess{n}@example.org", "not-the-password")

        blocked = _post_login(client, target.email)

        assert _signed_in_user_id(client) is None
        assert blocked.status_code == 200
        assert blocked.context["form"].non_field_errors() == [
            _error("too_many_login_attempts")
        ]


class TestRememberMe:
    def test_unchecked_gives_a_browser_session_cookie(self, client):
        """Without "remember me" the session ends when the browser closes: the cookie
        carries no expiry."""
        user = make_user()
        response = _post_login(client, user.email)
        cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
        assert cookie.value
        assert not cookie["max-age"]
        assert not cookie["expires"]
        assert client.session.get_expire_at_browser_close()

    def test_checked_gives_a_persistent_cookie(self, client):
        """With "remember me" the cookie outlives the browser, for
        SESSION_COOKIE_AGE seconds."""
        user = make_user()
        response = _post_login(client, user.email, remember="on")
        cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
        assert int(cookie["max-age"]) == django_settings.SESSION_COOKIE_AGE
        assert cookie["expires"]
        assert not client.session.get_expire_at_browser_close()

    def test_login_page_offers_remember_me(self, client):
        """The form has the "remember me" checkbox (ACCOUNT_SESSION_REMEMBER=None)."""
        response = client.get(LOGIN)
        assert "remember" in response.context["form"].fields
        assert b'name="remember"' in response.content
