"""Small facts about the request that several apps record."""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The peer's address as Django received it, normalised; None if it is not an
    IP address (access logs, signing evidence and rate limits store it)."""
    try:
        return str(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return None
