"""Whether a staff member has, and signed in with, a second factor."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.http import HttpRequest


def mfa_required_for(user) -> bool:
    """Staff and platform admins must use MFA (a setting turns it off in demo)."""
    return settings.COPRO_STAFF_MFA_REQUIRED and user.is_authenticated and user.is_staff


def signed_in_with_mfa(request: HttpRequest) -> bool:
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def staff_mfa_ok(request: HttpRequest) -> bool:
    user = request.user
    if not mfa_required_for(user):
        return True
    return is_mfa_enabled(user) and signed_in_with_mfa(request)


__all__ = ["mfa_required_for", "signed_in_with_mfa", "staff_mfa_ok", "is_mfa_enabled"]
