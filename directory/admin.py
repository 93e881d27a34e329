from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backoffice.mixins import ResidenceScopedAdmin, scoped_residences
from backoffice.sites import backoffice_site
from residents.access import Perm

from . import services
from .models import Contact, ContactKind, InfoPage, ServiceContract


class ResidenceFixedOnChange:
    """A record stays in the residence it was created in."""

    def get_readonly_fields(self, request, obj=None):
        return ["residence"] if obj is not None else []


class ContactAdminForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        if (
            self.instance.pk
            and data.get("kind") != ContactKind.PROVIDER
            and self.instance.contracts.exists()
        ):
            self.add_error(
                "kind",
                _("This provider has contracts: it must stay a service provider."),
            )
        return data


class ServiceContractAdminForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        provider = data.get("provider")
        residence = data.get("residence") or getattr(self.instance, "residence", None)
        if provider and residence and provider.residence_id != residence.pk:
            self.add_error(
                "provider", _("Choose a service provider of this residence.")
            )
        return data


@admin.register(Contact, site=backoffice_site)
class ContactAdmin(ResidenceFixedOnChange, ResidenceScopedAdmin):
    form = ContactAdminForm
    perm = Perm.MANAGE_DIRECTORY
    list_display = ["name", "organisation", "kind", "phone", "residence"]
    list_filter = ["residence", "kind"]
    list_select_related = ["residence"]
    search_fields = ["name", "organisation", "role"]
    fields = ["residence", "kind", "name", "organisation", "role", "phone", "email",
              "address", "hours", "notes", "order"]  # fmt: skip
    deletable = True

    def save_model(self, request, obj, form, change):
        data = {name: getattr(obj, name) for name in services.CONTACT_FIELDS}
        services.contact_save(residence=obj.residence, contact=obj, **data)


@admin.register(ServiceContract, site=backoffice_site)
class ServiceContractAdmin(ResidenceFixedOnChange, ResidenceScopedAdmin):
    form = ServiceContractAdminForm
    perm = Perm.MANAGE_DIRECTORY
    list_display = ["provider", "kind", "starts_on", "ends_on", "renewal_on",
                    "residence"]  # fmt: skip
    list_filter = ["residence", "kind"]
    list_select_related = ["residence", "provider"]
    search_fields = ["reference", "provider__name", "provider__organisation"]
    date_hierarchy = "renewal_on"
    fields = ["residence", "provider", "kind", "reference", "starts_on", "ends_on",
              "renewal_on", "notice"]  # fmt: skip
    deletable = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "provider":
            providers = Contact.objects.filter(kind=ContactKind.PROVIDER)
            if not request.user.is_superuser:
                providers = providers.filter(
                    residence__in=scoped_residences(request, self.perm)
                )
            kwargs["queryset"] = providers.select_related("residence")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = {name: getattr(obj, name) for name in services.CONTRACT_FIELDS}
        services.contract_save(residence=obj.residence, contract=obj, **data)


@admin.register(InfoPage, site=backoffice_site)
class InfoPageAdmin(ResidenceFixedOnChange, ResidenceScopedAdmin):
    perm = Perm.MANAGE_DIRECTORY
    list_display = ["title", "category", "residence", "updated_at", "updated_by"]
    list_filter = ["residence", "category"]
    list_select_related = ["residence", "updated_by"]
    search_fields = ["title"]
    fields = ["residence", "title", "category", "body", "order"]
    deletable = True

    def save_model(self, request, obj, form, change):
        data = {name: getattr(obj, name) for name in services.INFO_FIELDS}
        services.info_page_save(
            residence=obj.residence, by=request.user, page=obj, **data
        )
