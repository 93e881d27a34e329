"""Document tasks: thin adapters, ids in, idempotent."""

from __future__ import annotations

from celery import shared_task

from .services import extract_version_text


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def extract_text(version_id: int) -> bool:
    """Read the text inside an uploaded PDF so that search finds its words."""
    return extract_version_text(version_id)
