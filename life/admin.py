from django.contrib import admin

from backoffice.mixins import ResidenceScopedAdmin
from backoffice.sites import backoffice_site
from residents.access import Perm

from .models import Announcement, AnnouncementAttachment


class AttachmentInline(admin.TabularInline):
    """Attachments are added and removed from the site's form (which checks them by
    content and deletes their files); here they are listed."""

    model = AnnouncementAttachment
    fields = ["original_name", "content_type", "size", "uploaded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Announcement, site=backoffice_site)
class AnnouncementAdmin(ResidenceScopedAdmin):
    """Read and tidy announcements; publishing goes through the site's form (which
    notifies the audience)."""

    perm = Perm.PUBLISH_NEWS
    list_display = [
        "title",
        "residence",
        "audience",
        "pinned",
        "publish_at",
        "expires_at",
    ]
    list_filter = ["residence", "audience", "pinned"]
    list_select_related = ["residence"]
    search_fields = ["title"]
    fields = ["title", "body", "audience", "pinned", "publish_at", "expires_at"]
    deletable = True
    inlines = [AttachmentInline]

    def has_add_permission(self, request):
        return False
