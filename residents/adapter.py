"""allauth adapters: phone numbers live on our User and codes go out by SMS."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from copro.lib.sms import send_sms

from .models import User


class AccountAdapter(DefaultAccountAdapter):
    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        language = getattr(user, "language", None) or settings.LANGUAGE_CODE
        with translation.override(language):
            body = _("Your Copro verification code: %(code)s") % {"code": code}
        send_sms(phone, body)

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
    pass
