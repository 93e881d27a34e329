"""The back office's finance screens (wrapped by BackofficeSite.admin_view)."""

from __future__ import annotations


def urls(site) -> list:
    return []
