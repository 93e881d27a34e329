"""Writes to the directory and the useful-information pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from residents.models import Membership, Residence, User

from .models import (
    Contact,
    ContactKind,
    DirectoryListing,
    InfoPage,
    ServiceContract,
)

CONTACT_FIELDS = ("kind", "name", "organisation", "role", "phone", "email",
                  "address", "hours", "notes", "order")  # fmt: skip
CONTRACT_FIELDS = ("provider", "kind", "reference", "starts_on", "ends_on",
                   "renewal_on", "notice")  # fmt: skip
LISTING_FIELDS = ("listed", "show_email", "show_phone", "show_lots", "note")
INFO_FIELDS = ("title", "category", "body", "order")


def _assign(instance, fields: tuple[str, ...], data: dict) -> None:
    unknown = set(data) - set(fields)
    if unknown:
        raise TypeError(f"Unexpected fields: {sorted(unknown)}")
    for field in fields:
        if field in data:
            setattr(instance, field, data[field])


# --- Contacts -----------------------------------------------------------------------


@transaction.atomic
def contact_save(
    *, residence: Residence, contact: Contact | None = None, **data
) -> Contact:
    """Create or change a contact of the residence. A provider that holds contracts
    stays a provider (its contracts would otherwise point at a plumber on call)."""
    contact = contact or Contact(residence=residence)
    if contact.residence_id != residence.pk:
        raise ValidationError(_("This contact belongs to another residence."))
    _assign(contact, CONTACT_FIELDS, data)
    if (
        contact.pk
        and contact.kind != ContactKind.PROVIDER
        and contact.contracts.exists()
    ):
        raise ValidationError(
            _("This provider has contracts: it must stay a service provider.")
        )
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    try:
        contact.delete()
    except ProtectedError as error:
        raise ValidationError(
            _("This provider has contracts: delete its contracts first.")
        ) from error


# --- Contracts ----------------------------------------------------------------------


@transaction.atomic
def contract_save(
    *, residence: Residence, contract: ServiceContract | None = None, **data
) -> ServiceContract:
    """Create or change a service contract; its provider must be a provider contact
    of the same residence."""
    contract = contract or ServiceContract(residence=residence)
    if contract.residence_id != residence.pk:
        raise ValidationError(_("This contract belongs to another residence."))
    _assign(contract, CONTRACT_FIELDS, data)
    provider = contract.provider if contract.provider_id else None
    if (
        provider is None
        or provider.residence_id != residence.pk
        or provider.kind != ContactKind.PROVIDER
    ):
        raise ValidationError(
            {"provider": _("Choose a service provider of this residence.")}
        )
    contract.full_clean()
    contract.save()
    return contract


@transaction.atomic
def contract_delete(*, contract: ServiceContract) -> None:
    contract.delete()


# --- Residents' listings ------------------------------------------------------------


@transaction.atomic
def listing_save(*, membership: Membership, **data) -> DirectoryListing:
    """Create or change a member's own directory listing (one per membership)."""
    # Lock the membership so that two submissions cannot both create the listing.
    Membership.objects.select_for_update().filter(pk=membership.pk).first()
    listing = DirectoryListing.objects.filter(membership=membership).first()
    listing = listing or DirectoryListing(membership=membership)
    _assign(listing, LISTING_FIELDS, data)
    listing.updated_at = timezone.now()
    listing.full_clean()
    listing.save()
    return listing


# --- Useful information -------------------------------------------------------------


RESERVED_SLUGS = {"new"}  # info/new/ creates a page


def _unique_slug(residence: Residence, title: str) -> str:
    base = slugify(title)[:200] or "page"
    taken = RESERVED_SLUGS | set(
        InfoPage.objects.filter(residence=residence, slug__startswith=base).values_list(
            "slug", flat=True
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def info_page_save(
    *, residence: Residence, by: User | None, page: InfoPage | None = None, **data
) -> InfoPage:
    """Create or change an information page. Its address (slug) is made from the
    title once, at creation, so that links to it keep working after a rename."""
    page = page or InfoPage(residence=residence)
    if page.residence_id != residence.pk:
        raise ValidationError(_("This page belongs to another residence."))
    _assign(page, INFO_FIELDS, data)
    if not page.slug:
        page.slug = _unique_slug(residence, page.title)
    page.updated_at = timezone.now()
    page.updated_by = by
    page.full_clean()
    page.save()
    return page


@transaction.atomic
def info_page_delete(*, page: InfoPage) -> None:
    page.delete()
