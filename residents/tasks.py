"""Thin Celery adapters: load by id, do one thing. Safe to retry."""

from __future__ import annotations

from celery import shared_task
from django.urls import reverse

from copro.lib.emails import send_templated_email

from .models import Invitation, User


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation_email(invitation_id: int) -> None:
    from .services import invitation_token

    invitation = (
        Invitation.objects.select_related("residence", "invited_by")
        .filter(pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if invitation is None:
        return
    existing = User.objects.filter(email__iexact=invitation.email).first()
    send_templated_email(
        "invitation",
        to=[invitation.email],
        language=existing.language if existing else None,
        context={
            "invitation": invitation,
            "path": reverse(
                "residents:invitation", args=[invitation_token(invitation)]
            ),
        },
    )
