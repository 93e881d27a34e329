from celery import shared_task

from .services import publish_due_announcements


@shared_task
def publish_due() -> int:
    """Beat, every 5 minutes: announcements scheduled for later reach their audience."""
    return publish_due_announcements()
