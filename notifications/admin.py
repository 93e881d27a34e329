"""Deliveries in the back office: failures are visible, never silent."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backoffice.mixins import ResidenceScopedMixin
from backoffice.sites import backoffice_site
from residents.access import Perm

from .models import Delivery


@admin.register(Delivery, site=backoffice_site)
class DeliveryAdmin(ResidenceScopedMixin, admin.ModelAdmin):
    residence_path = "notification__residence"
    perm = Perm.MANAGE_MEMBERS
    list_display = ["key", "channel", "status", "attempts", "recipient", "updated_at"]
    list_filter = ["status", "channel"]
    list_select_related = ["notification__recipient"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    search_fields = ["notification__recipient__email", "key"]

    @admin.display(description=_("recipient"))
    def recipient(self, obj):
        return obj.notification.recipient

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
