"""Phone numbers: adding one, proving it with a code sent by SMS, and the Twilio
backend that sends the SMS in production.

The account flow runs with the Locmem SMS backend (tests/conftest.py), whose
`copro.lib.sms.outbox` is what the person's phone would receive. Twilio itself is
faked at its SDK's HTTP client boundary (`twilio.http.HttpClient`), never above it.
"""

from __future__ import annotations

import json
import logging
import re

import pytest
import requests
from allauth.account.adapter import get_adapter
from django.test import Client
from django.urls import reverse
from django.utils import translation
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse

from copro.lib import sms
from residents.models import Role

from ..conftest import login
from ..factories import make_member, make_residence, make_user

pytestmark = pytest.mark.django_db

CHANGE = reverse("account_change_phone")  # /accounts/phone/change/
VERIFY = reverse("account_verify_phone")  # /accounts/phone/verify/
PHONE = "+33612345678"
CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b")


def _error(key: str, language: str = "fr") -> str:
    with translation.override(language):
        return str(get_adapter().error_messages[key])


@pytest.fixture
def member(db):
    return make_member(make_residence(), Role.OWNER).user


def _request_code(client, user, phone: str = PHONE) -> str:
    """Sign in, ask for `phone`, and read the code off the SMS that was sent."""
    login(client, user)
    response = client.post(CHANGE, {"phone": phone})
    assert response.status_code == 302
    assert response.url == VERIFY
    assert len(sms.outbox) == 1
    message = sms.outbox[0]
    assert message.to == phone
    return CODE.search(message.body).group(0)


class TestAddingAPhone:
    def test_code_from_the_sms_verifies_the_number(self, client, member):
        """A member adds a number, receives a code by SMS, types it in: the number is
        theirs and verified."""
        code = _request_code(client, member)
        member.refresh_from_db()
        assert not member.phone_verified  # nothing is proven before the code

        assert client.get(VERIFY).status_code == 200
        response = client.post(VERIFY, {"code": code})

        assert response.status_code == 302
        member.refresh_from_db()
        assert (member.phone, member.phone_verified) == (PHONE, True)

    def test_sms_says_what_it_is_in_the_persons_language(self, client, db):
        """The SMS reads "Votre code de vérification Copro : …" for a French speaker
        and "Your Copro verification code: …" for an English one."""
        french = make_user(language="fr")
        _request_code(client, french)
        assert sms.outbox[0].body.startswith("Votre code de vérification Copro")

        sms.outbox.clear()
        english = make_user(language="en")
        _request_code(client, english, phone="+33698765432")
        assert sms.outbox[0].body.startswith("Your Copro verification code")

    def test_wrong_code_is_refused_and_verifies_nothing(self, client, member):
        """A wrong code shows "incorrect code" on the verification page and leaves
        the account without a verified number."""
        code = _request_code(client, member)
        wrong = "BBBB-BBBB" if code != "BBBB-BBBB" else "CCCC-CCCC"

        response = client.post(VERIFY, {"code": wrong})

        assert response.status_code == 200
        assert response.context["form"].errors == {"code": [_error("incorrect_code")]}
        assert _error("incorrect_code").encode() in response.content
        member.refresh_from_db()
        assert not member.phone_verified
        assert member.phone == ""

    def test_too_many_wrong_codes_end_the_attempt(self, client, member):
        """After three wrong codes the verification is abandoned: even the right code
        no longer works and the person must ask for a new one."""
        code = _request_code(client, member)
        for _ in range(3):
            client.post(VERIFY, {"code": "BBBB-BBBB"})

        response = client.post(VERIFY, {"code": code})

        assert response.status_code == 302
        assert response.url == CHANGE
        member.refresh_from_db()
        assert not member.phone_verified

    def test_number_must_be_international(self, client, member):
        """A number without its country code is refused and no SMS goes out."""
        login(client, member)
        response = client.post(CHANGE, {"phone": "06 12 34 56 78"})
        assert response.status_code == 200
        assert "phone" in response.context["form"].errors
        assert sms.outbox == []

    def test_number_verified_by_someone_else_cannot_be_claimed(self, client, member):
        """A number another member has verified stays theirs: the code does not
        transfer it, and the page says the number is taken."""
        owner = make_user(phone=PHONE, phone_verified=True)
        code = _request_code(client, member)

        response = client.post(VERIFY, {"code": code})

        assert response.status_code == 200
        assert _error("phone_taken").encode() in response.content
        owner.refresh_from_db()
        member.refresh_from_db()
        assert (owner.phone, owner.phone_verified) == (PHONE, True)
        assert not member.phone_verified

    def test_verifying_takes_the_number_from_an_unverified_holder(self, client, member):
        """Someone who typed this number but never proved it loses it to the person
        who does prove it (one verified holder per number)."""
        squatter = make_user(phone=PHONE, phone_verified=False)
        code = _request_code(client, member)
        client.post(VERIFY, {"code": code})
        squatter.refresh_from_db()
        member.refresh_from_db()
        assert (member.phone, member.phone_verified) == (PHONE, True)
        assert squatter.phone == ""

    def test_anonymous_visitor_is_sent_to_login(self, client, db):
        """The phone page needs a signed-in person."""
        response = client.get(CHANGE)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))

    def test_sms_sending_is_limited_per_ip(self, db):
        """One IP cannot make us text an unlimited list of numbers (SMS pumping):
        after 3 verification SMS in a minute the next request sends nothing and is
        answered 429."""
        responses = []
        for n in range(4):
            browser = login(Client(), make_user())  # same REMOTE_ADDR for all
            responses.append(browser.post(CHANGE, {"phone": f"+3361111222{n}"}))
        assert len(sms.outbox) == 3
        assert responses[-1].status_code == 429

    def test_sms_provider_refusal_is_an_error_message_not_a_crash(
        self, client, member, settings, monkeypatch
    ):
        """When Twilio refuses the message, the person gets a page back (not a server
        error) and nothing is verified."""
        _configure_twilio(settings)
        settings.SMS_BACKEND = "copro.lib.sms.TwilioBackend"
        refusing = FakeTwilioHTTP(status=400)
        monkeypatch.setattr(TwilioHttpClient, "request", refusing.request)
        login(client, member)

        response = client.post(CHANGE, {"phone": PHONE})

        assert response.status_code in (200, 302)
        assert refusing.requests  # the attempt did reach Twilio's HTTP boundary
        member.refresh_from_db()
        assert not member.phone_verified


# --- The Twilio backend -------------------------------------------------------------

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "twilio-auth-token"  # noqa: S105
FROM_NUMBER = "+33700000000"
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def _configure_twilio(settings) -> None:
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER


class FakeTwilioHTTP(HttpClient):
    """Twilio's REST API, answered in memory at the SDK's HTTP client boundary."""

    def __init__(self, status: int = 201, exc: Exception | None = None):
        super().__init__(logging.getLogger("fake-twilio"), is_async=False)
        self.status = status
        self.exc = exc
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
        self.requests.append({"method": method, "url": url, "data": data, "auth": auth})
        if self.exc is not None:
            raise self.exc
        if self.status >= 400:
            body = {
                "code": 21211,
                "message": "The 'To' number +33 is not a valid phone number.",
                "more_info": "https://www.twilio.com/docs/errors/21211",
                "status": self.status,
            }
        else:
            body = {
                "sid": "SM" + "a" * 32,
                "account_sid": ACCOUNT_SID,
                "status": "queued",
                "to": data["To"],
                "from": data["From"],
                "body": data["Body"],
            }
        return TwilioResponse(self.status, json.dumps(body))


class TestTwilioBackend:
    @pytest.fixture(autouse=True)
    def _twilio(self, settings):
        _configure_twilio(settings)

    def test_posts_to_the_messages_endpoint(self):
        """Sending POSTs To/From/Body to the account's Messages resource with the
        account's credentials and returns Twilio's message sid."""
        http = FakeTwilioHTTP()
        sid = sms.TwilioBackend(http_client=http).send(sms.SMS(PHONE, "Bonjour"))

        assert sid == "SM" + "a" * 32
        [call] = http.requests
        assert call["method"] == "POST"
        assert call["url"] == MESSAGES_URL
        assert call["data"] == {"To": PHONE, "From": FROM_NUMBER, "Body": "Bonjour"}
        assert call["auth"] == (ACCOUNT_SID, AUTH_TOKEN)

    def test_send_sms_uses_the_configured_backend(self, settings, monkeypatch):
        """`send_sms` with SMS_BACKEND=TwilioBackend goes through Twilio's default
        HTTP client (here answered at that boundary)."""
        settings.SMS_BACKEND = "copro.lib.sms.TwilioBackend"
        http = FakeTwilioHTTP()
        monkeypatch.setattr(TwilioHttpClient, "request", http.request)

        assert sms.send_sms(PHONE, "Réunion jeudi") == "SM" + "a" * 32
        assert http.requests[0]["data"]["Body"] == "Réunion jeudi"
        assert sms.outbox == []

    @pytest.mark.parametrize("status", [400, 401, 429, 500])
    def test_error_response_raises_sms_error(self, status):
        """A 4xx/5xx answer from Twilio becomes SMSError, carrying Twilio's reason."""
        backend = sms.TwilioBackend(http_client=FakeTwilioHTTP(status=status))
        with pytest.raises(sms.SMSError) as caught:
            backend.send(sms.SMS("+33", "x"))
        if status == 400:
            assert "not a valid phone number" in str(caught.value)

    def test_network_failure_raises_sms_error(self):
        """Twilio unreachable (connection refused, timeout) is also an SMSError, so
        callers handle one exception for "the SMS did not go out"."""
        http = FakeTwilioHTTP(exc=requests.ConnectTimeout("api.twilio.com timed out"))
        with pytest.raises(sms.SMSError):
            sms.TwilioBackend(http_client=http).send(sms.SMS(PHONE, "x"))
