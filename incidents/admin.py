from django.contrib import admin

from backoffice.mixins import ResidenceScopedAdmin
from backoffice.sites import backoffice_site
from residents.access import Perm

from .models import Ticket, Transition


class TransitionInline(admin.TabularInline):
    model = Transition
    fields = ["at", "from_status", "to_status", "by", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket, site=backoffice_site)
class TicketAdmin(ResidenceScopedAdmin):
    """The syndic's view across residences; status changes go through the site's
    detail page, which applies the workflow and notifies."""

    perm = Perm.HANDLE_TICKETS
    list_display = [
        "pk",
        "title",
        "residence",
        "kind",
        "category",
        "urgency",
        "priority",
        "status",
        "confirmation_count",
        "created_at",
        "rating",
    ]
    list_filter = ["residence", "kind", "status", "category", "urgency", "priority"]
    list_select_related = ["residence"]
    search_fields = ["title", "description"]
    date_hierarchy = "created_at"
    readonly_fields = ["residence", "kind", "status", "reporter", "rating",
                       "rating_comment"]  # fmt: skip
    fields = ["title", "category", "priority", "description", "location",
              *readonly_fields]  # fmt: skip
    inlines = [TransitionInline]

    def has_add_permission(self, request):
        return False
