from django.contrib import admin

from backoffice.mixins import ReadOnlyMixin, ResidenceScopedAdmin
from backoffice.sites import backoffice_site
from residents.access import Perm

from . import services
from .models import Works, WorksUpdate


class WorksUpdateInline(ReadOnlyMixin, admin.TabularInline):
    """The timeline, read-only: updates are posted on the site, which notifies the
    followers and keeps photos private."""

    model = WorksUpdate
    extra = 0
    fields = ["posted_at", "author", "text", "progress", "status"]
    readonly_fields = fields
    ordering = ["-posted_at"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_view_permission(self, request, obj=None):
        return True  # the parent admin is scoped


@admin.register(Works, site=backoffice_site)
class WorksAdmin(ResidenceScopedAdmin):
    perm = Perm.MANAGE_WORKS
    list_display = ["title", "residence", "status", "progress", "budget", "ends_on"]
    list_filter = ["status", "residence"]
    list_select_related = ["residence"]
    search_fields = ["title", "contractor"]
    fields = [
        "residence",
        "title",
        "description",
        "status",
        "progress",
        "contractor",
        "budget",
        "voted_at_assembly",
        "voted_on",
        "starts_on",
        "ends_on",
    ]
    inlines = [WorksUpdateInline]

    def get_readonly_fields(self, request, obj=None):
        # A works record stays in its residence.
        return ["residence"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        data = {
            f: form.cleaned_data[f]
            for f in services.WORKS_FIELDS
            if f in form.cleaned_data
        }
        services.works_save(residence=obj.residence, by=request.user, works=obj, **data)
