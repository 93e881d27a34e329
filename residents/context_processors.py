from __future__ import annotations

import functools

from django.conf import settings
from django.http import HttpRequest

from notifications.selectors import unread_count

from .selectors import switcher_residences


def navigation(request: HttpRequest) -> dict:
    """Header data: residence switcher, unread notifications, current standing."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        # A memoised callable: a page that never shows it costs no query, one that
        # shows it twice costs one.
        "unread_count": functools.cache(lambda: unread_count(user)) if signed_in else 0,
        "switcher_residences": switcher_residences(user) if signed_in else (),
        "standing": getattr(request, "standing", None),
        "google_login_enabled": bool(settings.GOOGLE_CLIENT_ID),
    }
