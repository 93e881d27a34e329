from django.contrib import admin

from backoffice.mixins import ReadOnlyMixin, ResidenceScopedAdmin
from backoffice.sites import backoffice_site
from residents.access import Perm

from .models import Entry, Payment


@admin.register(Entry, site=backoffice_site)
class EntryAdmin(ReadOnlyMixin, ResidenceScopedAdmin):
    perm = Perm.MANAGE_FINANCE
    residence_path = "account__residence"
    list_display = ["on", "account", "kind", "label", "amount", "due_on", "created_by"]
    list_filter = ["account__residence", "kind"]
    list_select_related = ["account__owner", "account__residence", "created_by"]
    search_fields = ["label", "account__owner__email", "account__owner__last_name"]
    date_hierarchy = "on"


@admin.register(Payment, site=backoffice_site)
class PaymentAdmin(ReadOnlyMixin, ResidenceScopedAdmin):
    perm = Perm.MANAGE_FINANCE
    residence_path = "account__residence"
    list_display = ["created_at", "account", "amount", "method", "status"]
    list_filter = ["account__residence", "status", "method"]
    list_select_related = ["account__owner", "account__residence"]
