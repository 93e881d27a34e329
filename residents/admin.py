"""Back-office screens for residences and people, registered on the back-office site."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from backoffice.mixins import (
    PlatformManagedAdmin,
    ResidenceScopedAdmin,
    ScopedInline,
    scoped_residences,
)
from backoffice.sites import backoffice_site
from residents.access import Perm

from . import services
from .models import (
    AllocationKey,
    Invitation,
    Lot,
    LotShare,
    Membership,
    MembershipStatus,
    Residence,
    Syndic,
    SyndicEmployee,
    User,
)


class AllocationKeyInline(ScopedInline):
    model = AllocationKey
    fields = ["code", "name", "is_general"]


@admin.register(Residence, site=backoffice_site)
class ResidenceAdmin(ResidenceScopedAdmin):
    residence_path = ""
    list_display = ["name", "city", "syndic", "lot_count", "join_code", "import_link"]
    list_select_related = ["syndic"]
    search_fields = ["name", "city", "address"]
    readonly_fields = ["join_code", "created_at"]
    inlines = [AllocationKeyInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_lot_count=Count("lots"))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("syndic")  # only the platform hands a residence over
        return fields

    def has_add_permission(self, request):
        return False  # residences are created through the residence_create screen

    @admin.display(description=_("lots"), ordering="_lot_count")
    def lot_count(self, obj):
        return obj._lot_count

    @admin.display(description=_("import"))
    def import_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("backoffice:lot_import", args=[obj.pk]),
            _("Import lots (CSV)"),
        )


class LotShareInline(ScopedInline):
    model = LotShare
    fields = ["key", "units"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "key" and not request.user.is_superuser:
            kwargs["queryset"] = AllocationKey.objects.filter(
                residence__in=scoped_residences(request, Perm.MANAGE_RESIDENCE)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Lot, site=backoffice_site)
class LotAdmin(ResidenceScopedAdmin):
    list_display = ["number", "residence", "kind", "floor", "building"]
    list_filter = ["kind", "residence"]
    list_select_related = ["residence"]
    search_fields = ["=number", "building"]
    inlines = [LotShareInline]
    list_per_page = 50


@admin.register(Membership, site=backoffice_site)
class MembershipAdmin(ResidenceScopedAdmin):
    perm = Perm.MANAGE_MEMBERS
    list_display = ["user", "residence", "role", "status", "created_at", "decided_at"]
    list_filter = ["status", "role", "residence"]
    list_select_related = ["user", "residence"]
    search_fields = ["user__email", "user__last_name", "user__first_name"]
    autocomplete_fields = []
    fields = [
        "user",
        "residence",
        "role",
        "lots",
        "status",
        "message",
        "since",
        "until",
    ]
    readonly_fields = ["user", "residence", "status", "message", "since", "until"]
    filter_horizontal = ["lots"]
    actions = ["accept_requests", "block_members"]
    history_list_display = ["role", "status"]

    def has_add_permission(self, request):
        return False  # people join by invitation or by request

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        obj_id = request.resolver_match.kwargs.get("object_id")
        if db_field.name == "lots" and obj_id:
            membership = Membership.objects.filter(pk=obj_id).first()
            if membership is not None:
                kwargs["queryset"] = Lot.objects.filter(
                    residence_id=membership.residence_id
                )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        try:
            services.membership_change(
                membership=obj,
                role=form.cleaned_data["role"],
                lots=form.cleaned_data["lots"],
                decided_by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))

    def save_related(self, request, form, formsets, change):
        """Lots are set by the service in save_model."""

    @admin.action(description=_("Accept the selected requests"))
    def accept_requests(self, request, queryset):
        accepted = 0
        for membership in queryset.filter(status=MembershipStatus.PENDING):
            try:
                services.membership_accept(
                    membership=membership,
                    role=membership.role,
                    lots=membership.lots.all(),
                    decided_by=request.user,
                )
            except ValidationError as error:
                messages.error(
                    request, f"{membership.user}: {' '.join(error.messages)}"
                )
            else:
                accepted += 1
        messages.success(request, _("%(n)d request(s) accepted.") % {"n": accepted})

    @admin.action(description=_("Block the selected people"))
    def block_members(self, request, queryset):
        count = 0
        for membership in queryset.exclude(user=request.user):
            services.membership_block(membership=membership, decided_by=request.user)
            count += 1
        messages.success(request, _("%(n)d membership(s) blocked.") % {"n": count})


@admin.register(Invitation, site=backoffice_site)
class InvitationAdmin(ResidenceScopedAdmin):
    perm = Perm.MANAGE_MEMBERS
    list_display = [
        "email",
        "residence",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
    ]
    list_select_related = ["residence"]
    list_filter = ["residence", "role"]
    readonly_fields = ["accepted_at", "accepted_by", "created_at"]
    fields = ["residence", "email", "role", "lots", "expires_at", "accepted_at"]

    def has_add_permission(self, request):
        return False  # sent from the residence's members page, which emails the link

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Syndic, site=backoffice_site)
class SyndicAdmin(PlatformManagedAdmin):
    list_display = ["name", "email", "phone"]
    search_fields = ["name"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(employees__user=request.user, employees__is_active=True)


@admin.register(SyndicEmployee, site=backoffice_site)
class SyndicEmployeeAdmin(PlatformManagedAdmin):
    list_display = ["user", "syndic", "role", "is_active"]
    list_select_related = ["user", "syndic"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(User, site=backoffice_site)
class UserAdmin(PlatformManagedAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["first_name", "last_name", "phone", "language"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["email", "password1", "password2"], "classes": ["wide"]})
    ]
    list_filter = ["is_active", "is_staff"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        residences = scoped_residences(request, Perm.MANAGE_MEMBERS)
        return queryset.filter(memberships__residence__in=residences).distinct()
