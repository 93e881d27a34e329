"""allauth adapters: phone numbers live on our User and codes go out by SMS."""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from copro.lib.sms import SMSError, send_sms

from .models import User

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        language = getattr(user, "language", None) or settings.LANGUAGE_CODE
        with translation.override(language):
            body = _("Your Copro verification code: %(code)s") % {"code": code}
        try:
            send_sms(phone, body)
        except SMSError:
            logger.exception("Verification SMS to %s failed", phone)
            self.add_message(
                context.request,
                messages.ERROR,
                message=_(
                    "We could not send the SMS. Check the number or try again in a "
                    "minute."
                ),
            )

    def send_account_already_exists_sms(self, phone: str) -> None:
        send_sms(phone, _("Someone tried to sign up to Copro with your number."))

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user) -> tuple[str, bool] | None:
        if not user.phone:
            return None
        return user.phone, user.phone_verified

    def set_phone_verified(self, user, phone: str) -> None:
        # Someone else may hold this number unverified; a verified owner wins.
        User.objects.filter(phone=phone, phone_verified=False).exclude(
            pk=user.pk
        ).update(phone="")
        self.set_phone(user, phone, True)

    def get_user_by_phone(self, phone: str):
        return User.objects.filter(phone=phone, phone_verified=True).first()


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        """An unconfigured provider is a 404, not a server error bots can trigger."""
        from allauth.socialaccount.models import SocialApp

        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404("Sign-in provider not configured") from None
