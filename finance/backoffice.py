"""The back office's finance screens (wrapped by BackofficeSite.admin_view): charges
called, paid and outstanding with aged balances, per residence and rolled up over
the residences of the staff member's syndic, and their CSV exports.

Who sees what: the residences where the access policy grants MANAGE_FINANCE (the
syndic's staff; platform admins see all). Another syndic's residence is a 404; a
staff member with no such residence gets a 403; non-staff are sent to the sign-in by
`admin_view`.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from backoffice.mixins import scoped_residence_ids, scoped_residences
from residents.access import Perm
from residents.models import Residence

from . import ageing

ARREARS_PER_PAGE = 25


def urls(site) -> list:
    # Not under "finance/": that is the admin's index of the finance app.
    return [
        path(
            "reports/finance/",
            site.admin_view(overview),
            name="finance_overview",
        ),
        path(
            "reports/finance/export.csv",
            site.admin_view(overview_csv),
            name="finance_csv",
        ),
        path(
            "reports/finance/<int:residence_id>/",
            site.admin_view(residence_detail),
            name="finance_residence",
        ),
        path(
            "reports/finance/<int:residence_id>/export.csv",
            site.admin_view(residence_csv),
            name="finance_residence_csv",
        ),
    ]


def _context(request: HttpRequest, title: str, **extra) -> dict:
    from backoffice.sites import backoffice_site

    return {**backoffice_site.each_context(request), "title": title, **extra}


def _scoped_ids(request: HttpRequest) -> list[int]:
    ids = scoped_residence_ids(request, Perm.MANAGE_FINANCE)
    if not ids:
        raise PermissionDenied
    return ids


def _residence(request: HttpRequest, residence_id: int) -> Residence:
    residence = (
        scoped_residences(request, Perm.MANAGE_FINANCE)
        .select_related("syndic")
        .filter(pk=residence_id)
        .first()
    )
    if residence is None:
        raise Http404
    return residence


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rollup = ageing.syndic_rollup(_scoped_ids(request), today)
    return render(
        request,
        "admin/finance/overview.html",
        _context(request, _("Charges and arrears"), rollup=rollup, today=today),
    )


@require_safe
def residence_detail(request: HttpRequest, residence_id: int) -> HttpResponse:
    residence = _residence(request, residence_id)
    today = timezone.localdate()
    figures = ageing.residence_figures(residence.pk, today)
    arrears = ageing.AccountsInArrears(residence.pk, today, count=figures.in_arrears)
    page = Paginator(arrears, ARREARS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "admin/finance/residence.html",
        _context(
            request,
            _("Charges and arrears: %(name)s") % {"name": residence.name},
            residence=residence,
            figures=figures,
            page=page,
            today=today,
        ),
    )


# ------------------------------------------------------------------ CSV exports
# For French spreadsheets: UTF-8 with a byte order mark (so accents survive),
# ";" between cells, a decimal comma, ISO dates.

# A text cell starting with one of these is read as a formula by spreadsheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """One cell: amounts with a decimal comma, and text that cannot be a formula
    (a leading quote makes it plain text)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        # Our own amounts: digits, a sign and a comma, never a formula.
        return format(value, "f").replace(".", ",")
    if isinstance(value, int | date):
        return str(value)
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return response


def _figure_cells(figures: ageing.Figures) -> list:
    return [
        figures.called,
        figures.paid,
        figures.credited,
        figures.outstanding,
        figures.not_due,
        figures.days_0_30,
        figures.days_31_90,
        figures.over_90,
        figures.in_credit,
        figures.in_arrears,
    ]


def _figure_headers() -> list[str]:
    return [
        _("Called"),
        _("Paid (net of refunds)"),
        _("Other credits"),
        _("Outstanding"),
        _("Not yet due"),
        _("Due 0–30 days"),
        _("Due 31–90 days"),
        _("Due over 90 days"),
        _("In credit"),
        _("Co-owners in arrears"),
    ]


@require_safe
def overview_csv(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rollup = ageing.syndic_rollup(_scoped_ids(request), today)
    rows = [
        [row.syndic_name, row.residence_name, *_figure_cells(row)]
        for row in rollup.rows
    ]
    rows.append([_("Total"), "", *_figure_cells(rollup.total)])
    return _csv_response(
        f"arrears-{today.isoformat()}.csv",
        [_("Syndic"), _("Residence"), *_figure_headers()],
        rows,
    )


@require_safe
def residence_csv(request: HttpRequest, residence_id: int) -> HttpResponse:
    residence = _residence(request, residence_id)
    today = timezone.localdate()
    rows = (
        [
            account.last_name,
            account.first_name,
            account.email,
            account.not_due,
            account.days_0_30,
            account.days_31_90,
            account.over_90,
            account.due,
            account.balance,
        ]
        for account in ageing.AccountsInArrears(residence.pk, today)
    )
    return _csv_response(
        f"arrears-{residence.slug}-{today.isoformat()}.csv",
        [
            _("Last name"),
            _("First name"),
            _("Email"),
            _("Not yet due"),
            _("Due 0–30 days"),
            _("Due 31–90 days"),
            _("Due over 90 days"),
            _("Total due"),
            _("Balance"),
        ],
        rows,
    )
