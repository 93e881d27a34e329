from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from backoffice.mixins import ReadOnlyMixin, ResidenceScopedAdmin, ScopedInline
from backoffice.sites import backoffice_site
from residents.access import Perm

from . import services
from .models import Album, Photo


class PhotoInline(ReadOnlyMixin, ScopedInline):
    """Photos, read only: uploads and deletions go through the site (which cleans the
    files and removes them from storage)."""

    model = Photo
    fields = ["preview", "original_name", "caption", "size", "uploaded_by", "position"]
    readonly_fields = fields
    ordering = ["position", "pk"]
    can_delete = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("album__residence", "uploaded_by")
        )

    @admin.display(description=_("thumbnail"))
    def preview(self, photo: Photo) -> str:
        # Served by the site's scoped view: the access policy still decides.
        url = reverse("albums:thumbnail", args=[photo.album.residence.slug, photo.pk])
        return format_html(
            '<img src="{}" alt="{}" width="{}" height="{}" loading="lazy">',
            url,
            photo.alt_text,
            *(size // 4 for size in photo.thumbnail_size),
        )

    @admin.display(description=_("size"))
    def size(self, photo: Photo) -> str:
        return f"{photo.width} × {photo.height}"


@admin.register(Album, site=backoffice_site)
class AlbumAdmin(ResidenceScopedAdmin):
    """Read and tidy albums; creating albums and uploading photos go through the
    site's forms."""

    perm = Perm.MANAGE_ALBUMS
    list_display = ["title", "residence", "photo_count", "council_only", "taken_on",
                    "created_at"]  # fmt: skip
    list_filter = ["residence", "council_only"]
    list_select_related = ["residence"]
    search_fields = ["title"]
    fields = ["title", "description", "taken_on", "council_only"]
    inlines = [PhotoInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(photo_count=Count("photos"))

    @admin.display(description=_("photos"), ordering="photo_count")
    def photo_count(self, album: Album) -> int:
        return album.photo_count

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        services.album_update(
            album=obj, **{field: form.cleaned_data[field] for field in self.fields}
        )
