from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from .selectors import switcher_residences


def navigation(request: HttpRequest) -> dict:
    """The residence switcher and the current standing (set by residence views)."""
    user = getattr(request, "user", None)
    return {
        "switcher_residences": (
            switcher_residences(user)
            if user is not None and user.is_authenticated
            else ()
        ),
        "standing": getattr(request, "standing", None),
        "google_login_enabled": bool(settings.GOOGLE_CLIENT_ID),
    }
