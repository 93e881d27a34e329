"""Admin classes scoped through the access policy: staff see their syndic's
residences only."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from residents.access import Perm, residences_where
from residents.models import Lot, Residence


def scoped_residence_ids(request: HttpRequest, perm: Perm) -> list[int]:
    """Ids of the residences where the policy grants `perm`: one query per request."""
    cache = request.__dict__.setdefault("_scoped_residence_ids", {})
    if perm not in cache:
        cache[perm] = list(
            residences_where(request.user, perm).values_list("pk", flat=True)
        )
    return cache[perm]


def scoped_residences(request: HttpRequest, perm: Perm) -> QuerySet[Residence]:
    return Residence.objects.filter(pk__in=scoped_residence_ids(request, perm))


class ResidenceScopedMixin:
    """For ModelAdmins: `residence_path` leads from the model to its Residence; `perm`
    is what the policy must grant there. Superusers (platform admins) see everything."""

    residence_path = "residence"
    perm = Perm.MANAGE_RESIDENCE
    deletable = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        lookup = (
            "pk__in" if self.residence_path == "" else f"{self.residence_path}_id__in"
        )
        return queryset.filter(**{lookup: scoped_residence_ids(request, self.perm)})

    def _allowed(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        ids = scoped_residence_ids(request, self.perm)
        if obj is None:
            return bool(ids)
        residence_id = obj.pk if self.residence_path == "" else self._residence_id(obj)
        return residence_id in ids

    def _residence_id(self, obj) -> int:
        *path, last = self.residence_path.split("__")
        for step in path:
            obj = getattr(obj, step)
        return getattr(obj, f"{last}_id")

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self.deletable and self._allowed(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            if db_field.related_model is Residence:
                kwargs["queryset"] = scoped_residences(request, self.perm)
            elif db_field.related_model is Lot:
                kwargs["queryset"] = Lot.objects.filter(
                    residence__in=scoped_residences(request, self.perm)
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is Lot and not request.user.is_superuser:
            kwargs["queryset"] = Lot.objects.filter(
                residence__in=scoped_residences(request, self.perm)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ResidenceScopedAdmin(ResidenceScopedMixin, SimpleHistoryAdmin):
    """A residence-scoped admin for history-tracked models."""


class ScopedInline(admin.TabularInline):
    """Inlines follow their parent admin's permissions."""

    extra = 0

    def has_view_permission(self, request, obj=None):
        return True

    def has_change_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return True

    def has_delete_permission(self, request, obj=None):
        return True


class PlatformManagedAdmin(SimpleHistoryAdmin):
    """Records only the platform admins edit; staff may look at those their
    `get_queryset` scopes to them. Nobody deletes them (history must stay)."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser or obj is None:
            return self.has_module_permission(request)
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyMixin:
    """For admins and inlines that only show what services write (history, files,
    money): no add, change or delete from the back office."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
