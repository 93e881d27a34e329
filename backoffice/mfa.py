"""Whether a staff member has, and signed in with, a second factor."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.http import HttpRequest


def mfa_required_for(user) -> bool:
    """Staff and platform admins must use MFA (a setting turns it off in demo)."""
    return settings.COPRO_STAFF_MFA_REQUIRED and user.is_authenticated and user.is_staff


def has_mfa(request: HttpRequest) -> bool:
    """Whether the signed-in user has an authenticator (cached for the request)."""
    if not hasattr(request, "_copro_has_mfa"):
        request._copro_has_mfa = is_mfa_enabled(request.user)
    return request._copro_has_mfa


def signed_in_with_mfa(request: HttpRequest) -> bool:
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def staff_mfa_ok(request: HttpRequest) -> bool:
    user = request.user
    if not mfa_required_for(user):
        return True
    return has_mfa(request) and signed_in_with_mfa(request)
