"""Sending SMS through a pluggable backend, the way Django sends email.

`TwilioBackend` speaks to Twilio through its SDK; `ConsoleBackend` prints (development);
`LocmemBackend` keeps messages in `outbox` (tests of our own flows). Tests of the Twilio
backend fake Twilio's HTTP client, not this module.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

outbox: list[SMS] = []


@dataclass(frozen=True)
class SMS:
    to: str
    body: str


class SMSError(Exception):
    """The provider refused or failed to send the message."""


class ConsoleBackend:
    def send(self, sms: SMS) -> str:
        logger.warning("SMS to %s: %s", sms.to, sms.body)
        return "console"


class LocmemBackend:
    def send(self, sms: SMS) -> str:
        outbox.append(sms)
        return f"locmem-{len(outbox)}"


class TwilioBackend:
    def __init__(self, http_client=None) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            # A Twilio that stops answering must not hold a request or worker forever.
            http_client=http_client or TwilioHttpClient(timeout=10),
        )

    def send(self, sms: SMS) -> str:
        from twilio.base.exceptions import TwilioException

        try:
            message = self.client.messages.create(
                to=sms.to, from_=settings.TWILIO_FROM_NUMBER, body=sms.body
            )
        except (TwilioException, OSError) as exc:  # OSError: requests' network errors
            raise SMSError(str(exc)) from exc
        return message.sid


def get_backend():
    return import_string(settings.SMS_BACKEND)()


def send_sms(to: str, body: str) -> str:
    """Send one SMS now and return the provider's message id."""
    return get_backend().send(SMS(to=to, body=body))
