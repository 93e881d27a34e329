from django.contrib import admin

from backoffice.mixins import ReadOnlyMixin, ResidenceScopedAdmin
from backoffice.sites import backoffice_site
from residents.access import Perm

from .models import Attestation, BankLine, Entry, Payment, Reminder


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


@admin.register(BankLine, site=backoffice_site)
class BankLineAdmin(ReadOnlyMixin, ResidenceScopedAdmin):
    """The statement lines as imported (matched and posted from the residence's
    bank queue, not here)."""

    perm = Perm.MANAGE_FINANCE
    residence_path = "residence"
    list_display = ["booked_on", "residence", "amount", "label", "status", "account"]
    list_filter = ["residence", "status"]
    list_select_related = ["residence", "account__owner"]
    search_fields = ["label", "reference", "counterparty"]
    date_hierarchy = "booked_on"


@admin.register(Reminder, site=backoffice_site)
class ReminderAdmin(ReadOnlyMixin, ResidenceScopedAdmin):
    perm = Perm.MANAGE_FINANCE
    residence_path = "account__residence"
    list_display = ["sent_on", "account", "call", "step", "amount"]
    list_filter = ["account__residence", "step"]
    list_select_related = ["account__owner", "account__residence", "call"]
    date_hierarchy = "sent_on"


@admin.register(Attestation, site=backoffice_site)
class AttestationAdmin(ReadOnlyMixin, ResidenceScopedAdmin):
    perm = Perm.MANAGE_FINANCE
    residence_path = "account__residence"
    list_display = ["issued_at", "account", "kind", "code", "period_end"]
    list_filter = ["account__residence", "kind"]
    list_select_related = ["account__owner", "account__residence"]
    search_fields = ["code", "account__owner__email", "account__owner__last_name"]
