"""Document tasks: thin adapters, ids in, idempotent."""

from __future__ import annotations

from celery import shared_task

from .services import extract_version_text


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def extract_text(version_id: int) -> bool:
    """Read the text inside an uploaded PDF so that search finds its words."""
    return extract_version_text(version_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def build_zip(payload: dict) -> str:
    """Build a large ZIP into private storage, then notify the member who asked.
    Idempotent: once the file exists, a retry does nothing."""
    from .zips import zip_build

    return zip_build(
        user_id=payload["user_id"],
        residence=payload["residence"],
        ids=payload["ids"],
        category=payload["category"],
        name=payload["name"],
    )


@shared_task
def purge_zips() -> int:
    """Delete the built ZIPs whose download links have expired (run hourly)."""
    from .zips import purge_old_zips

    return purge_old_zips()
