"""A co-owner's account; the syndic's list of accounts."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from residents import selectors as residents_selectors
from residents.access import Perm, Standing
from residents.views import residence_view

from . import selectors


@residence_view()
@require_GET
def account(request: HttpRequest, standing: Standing) -> HttpResponse:
    """Balance, due dates, every call with its breakdown, every entry."""
    if standing.can(Perm.MANAGE_FINANCE):
        return redirect("finance:accounts", standing.residence.slug)
    if not standing.is_owner:
        raise PermissionDenied  # tenants pay their landlord, not the syndicat
    mine = selectors.account_of(standing)
    membership = residents_selectors.my_membership(standing)
    lot_ids = [lot.pk for lot in membership.lots.all()] if membership else []
    context = {"account": mine, "lots": membership.lots.all() if membership else []}
    if mine is not None:
        context.update(
            figures=selectors.balance(mine),
            calls=selectors.call_entries(mine, lot_ids)[:8],
            page=Paginator(selectors.entries(mine), 25).get_page(
                request.GET.get("page")
            ),
        )
    return render(request, "finance/account.html", context)


@residence_view(Perm.MANAGE_FINANCE)
@require_GET
def accounts(request: HttpRequest, standing: Standing) -> HttpResponse:
    page = Paginator(selectors.accounts_with_balances(standing), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "finance/accounts.html", {"page": page})
