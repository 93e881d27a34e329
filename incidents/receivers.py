"""allauth tells us when someone verifies an email address: delegations waiting for
that address become theirs (`sharing.delegations_attach` does the work).

Connected from incidents/models.py so that it is loaded with the app registry.
"""

from __future__ import annotations

from allauth.account.signals import email_confirmed, user_signed_up
from django.dispatch import receiver


@receiver(email_confirmed, dispatch_uid="incidents_delegations_on_email_confirmed")
def _on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    from .sharing import delegations_attach

    delegations_attach(user=email_address.user, email=email_address.email)


@receiver(user_signed_up, dispatch_uid="incidents_delegations_on_signup")
def _on_signed_up(sender, request, user, **kwargs) -> None:
    """A sign-up that arrives with verified addresses (e.g. through Google)."""
    from allauth.account.models import EmailAddress

    from .sharing import delegations_attach

    for address in EmailAddress.objects.filter(user=user, verified=True):
        delegations_attach(user=user, email=address.email)
