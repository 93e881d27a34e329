from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from residents.access import Perm, Standing
from residents.views import residence_view

from . import selectors, services
from .forms import (
    ContactForm,
    ContractForm,
    InfoPageForm,
    ListingForm,
    SearchForm,
    initial_kind,
)
from .models import ContactKind

LISTINGS_PER_PAGE = 50


def _data(form) -> dict:
    return {name: form.cleaned_data[name] for name in form.Meta.fields}


def _found(obj):
    if obj is None:
        raise Http404
    return obj


# --- Directory ----------------------------------------------------------------------


@residence_view()
@require_safe
def index(request: HttpRequest, standing: Standing) -> HttpResponse:
    search = SearchForm(request.GET or None)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    listings = None
    if not query:  # a search looks for contacts only
        listings = Paginator(
            selectors.resident_listings(standing), LISTINGS_PER_PAGE
        ).get_page(request.GET.get("page"))
    return render(
        request,
        "directory/index.html",
        {
            "search": search,
            "query": query,
            "council": selectors.council_members(standing),
            "syndic": standing.residence.syndic,
            "sections": selectors.directory_sections(standing, query),
            "listings": listings,
            "can_manage": standing.can(Perm.MANAGE_DIRECTORY),
            "is_member": standing.membership_id is not None,
        },
    )


@residence_view()
@require_http_methods(["GET", "POST"])
def my_listing(request: HttpRequest, standing: Standing) -> HttpResponse:
    """Every resident chooses whether they appear, and with what."""
    listing = selectors.my_listing(standing)
    if listing is None:  # syndic staff: they are not residents
        if request.method == "POST":
            raise PermissionDenied
        return render(request, "directory/my_listing.html", {"form": None})
    form = ListingForm(request.POST or None, instance=listing)
    if request.method == "POST" and form.is_valid():
        services.listing_save(membership=listing.membership, **_data(form))
        messages.success(request, _("Your directory listing is saved."))
        return redirect("directory:index", standing.residence.slug)
    return render(request, "directory/my_listing.html", {"form": form})


@residence_view(Perm.MANAGE_DIRECTORY)
@require_http_methods(["GET", "POST"])
def contact_edit(
    request: HttpRequest, standing: Standing, contact_id: int | None = None
) -> HttpResponse:
    contact = None
    if contact_id is not None:
        contact = _found(selectors.contacts_for(standing).filter(pk=contact_id).first())
    form = ContactForm(
        request.POST or None,
        instance=contact,
        initial={"kind": initial_kind(request.GET.get("kind"))},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_save(
                residence=standing.residence, contact=contact, **_data(form)
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The contact is saved."))
            return redirect("directory:index", standing.residence.slug)
    return render(
        request, "directory/contact_form.html", {"form": form, "contact": contact}
    )


@residence_view(Perm.MANAGE_DIRECTORY)
@require_http_methods(["GET", "POST"])
def contact_delete(
    request: HttpRequest, standing: Standing, contact_id: int
) -> HttpResponse:
    contact = _found(
        selectors.contacts_for(standing)
        .prefetch_related("contracts")
        .filter(pk=contact_id)
        .first()
    )
    error = None
    if request.method == "POST":
        try:
            services.contact_delete(contact=contact)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(request, _("The contact is deleted."))
            return redirect("directory:index", standing.residence.slug)
    return render(
        request,
        "directory/confirm_delete.html",
        {
            "object": contact,
            "error": error,
            "contracts": contact.contracts.all(),
            "cancel_url": reverse("directory:index", args=[standing.residence.slug]),
        },
    )


# --- Contracts ----------------------------------------------------------------------


@residence_view(Perm.MANAGE_DIRECTORY)
@require_safe
def contract_list(request: HttpRequest, standing: Standing) -> HttpResponse:
    """Every contract, ended ones too, for the council and the syndic."""
    return render(
        request,
        "directory/contract_list.html",
        {
            "contracts": selectors.contracts_for(standing).order_by(
                "kind", "-starts_on", "pk"
            ),
            "to_renew": selectors.contracts_to_renew(standing),
        },
    )


@residence_view(Perm.MANAGE_DIRECTORY)
@require_http_methods(["GET", "POST"])
def contract_edit(
    request: HttpRequest, standing: Standing, contract_id: int | None = None
) -> HttpResponse:
    contract = None
    if contract_id is not None:
        contract = _found(
            selectors.contracts_for(standing).filter(pk=contract_id).first()
        )
    providers = selectors.contacts_for(standing).filter(kind=ContactKind.PROVIDER)
    form = ContractForm(
        request.POST or None,
        instance=contract,
        providers=providers.order_by("name", "pk"),
        initial={"provider": request.GET.get("provider")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_save(
                residence=standing.residence, contract=contract, **_data(form)
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The contract is saved."))
            return redirect("directory:contracts", standing.residence.slug)
    return render(
        request, "directory/contract_form.html", {"form": form, "contract": contract}
    )


@residence_view(Perm.MANAGE_DIRECTORY)
@require_http_methods(["GET", "POST"])
def contract_delete(
    request: HttpRequest, standing: Standing, contract_id: int
) -> HttpResponse:
    contract = _found(selectors.contracts_for(standing).filter(pk=contract_id).first())
    if request.method == "POST":
        services.contract_delete(contract=contract)
        messages.success(request, _("The contract is deleted."))
        return redirect("directory:contracts", standing.residence.slug)
    return render(
        request,
        "directory/confirm_delete.html",
        {
            "object": contract,
            "cancel_url": reverse(
                "directory:contracts", args=[standing.residence.slug]
            ),
        },
    )


# --- Useful information -------------------------------------------------------------


@residence_view()
@require_safe
def info(request: HttpRequest, standing: Standing) -> HttpResponse:
    """The pages by category, or the search results for ?q=."""
    search = SearchForm(request.GET or None)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    return render(
        request,
        "directory/info_list.html",
        {
            "search": search,
            "query": query,
            "results": selectors.search_info_pages(standing, query) if query else None,
            "groups": [] if query else selectors.info_pages_by_category(standing),
            "can_manage": standing.can(Perm.MANAGE_DIRECTORY),
        },
    )


def _info_page(standing: Standing, slug: str):
    return _found(
        selectors.info_pages_for(standing)
        .select_related("updated_by")
        .filter(slug=slug)
        .first()
    )


@residence_view()
@require_safe
def info_page(request: HttpRequest, standing: Standing, slug: str) -> HttpResponse:
    return render(
        request,
        "directory/info_detail.html",
        {
            "page": _info_page(standing, slug),
            "can_manage": standing.can(Perm.MANAGE_DIRECTORY),
        },
    )


@residence_view(Perm.MANAGE_DIRECTORY)
@require_http_methods(["GET", "POST"])
def info_edit(
    request: HttpRequest, standing: Standing, slug: str | None = None
) -> HttpResponse:
    page = _info_page(standing, slug) if slug is not None else None
    form = InfoPageForm(request.POST or None, instance=page)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.info_page_save(
                residence=standing.residence, by=request.user, page=page, **_data(form)
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The page is saved."))
            return redirect(saved.get_absolute_url())
    return render(request, "directory/info_form.html", {"form": form, "page": page})


@residence_view(Perm.MANAGE_DIRECTORY)
@require_http_methods(["GET", "POST"])
def info_delete(request: HttpRequest, standing: Standing, slug: str) -> HttpResponse:
    page = _info_page(standing, slug)
    if request.method == "POST":
        services.info_page_delete(page=page)
        messages.success(request, _("The page is deleted."))
        return redirect("directory:info", standing.residence.slug)
    return render(
        request,
        "directory/confirm_delete.html",
        {"object": page, "cancel_url": page.get_absolute_url()},
    )
