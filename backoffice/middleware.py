"""Staff without MFA are sent to set it up before they can do anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .mfa import has_mfa, mfa_required_for

# Pages a staff member without MFA can still reach: sign-in/out and MFA set-up itself.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz/", "/i18n/")


class StaffMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            mfa_required_for(request.user)
            and not request.path.startswith(_OPEN_PREFIXES)
            and not has_mfa(request)
        ):
            messages.warning(
                request,
                _("Staff accounts need two-factor authentication: set it up to go on."),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
