"""Members who follow a category hear of new and updated documents in it."""

from __future__ import annotations

from .models import Document


def notify_followers(*, document: Document, new: bool) -> None:
    """Notify the members following `document`'s category who may see it."""
