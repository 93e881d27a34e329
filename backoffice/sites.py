"""The back office: Django's admin, branded, behind allauth's sign-in and MFA."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from residents.access import Perm, residences_where

from .mfa import mfa_required_for, staff_mfa_ok


class BackofficeSite(admin.AdminSite):
    site_header = _("Copro back office")
    site_title = _("Copro back office")
    index_title = _("Dashboard")
    index_template = "admin/backoffice_index.html"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and user.is_staff and staff_mfa_ok(request)

    def login(self, request: HttpRequest, extra_context=None):
        """The admin's own login form is never used: allauth (with MFA) signs in."""
        next_url = request.GET.get("next") or reverse("backoffice:index")
        if request.user.is_authenticated and mfa_required_for(request.user):
            return HttpResponseRedirect(
                f"{reverse('mfa_reauthenticate')}?{urlencode({'next': next_url})}"
            )
        return HttpResponseRedirect(
            f"{reverse('account_login')}?{urlencode({'next': next_url})}"
        )

    def logout(self, request: HttpRequest, extra_context=None):
        return HttpResponseRedirect(reverse("account_logout"))

    def get_urls(self):
        from finance import backoffice as finance_backoffice

        from . import views

        return [
            *finance_backoffice.urls(self),
            path(
                "residences/new/",
                self.admin_view(views.residence_create),
                name="residence_create",
            ),
            path(
                "residences/<int:residence_id>/import-lots/",
                self.admin_view(views.lot_import),
                name="lot_import",
            ),
            *super().get_urls(),
        ]

    def index(self, request: HttpRequest, extra_context=None):
        from residents.selectors import pending_count_by_residence

        residences = pending_count_by_residence(
            residences_where(request.user, Perm.MANAGE_MEMBERS)
        )[:50]
        extra_context = {**(extra_context or {}), "managed_residences": residences}
        return super().index(request, extra_context)


backoffice_site = BackofficeSite(name="backoffice")
