"""§4 of the incidents: statistics (page, SVG charts, CSV export) per residence and
across the syndic's residences, and bulk status changes on the queue."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from residents.access import Perm, Standing
from residents.views import residence_view

from . import bulk, selectors, stats
from .models import Category, Kind
from .workflow import Status

QUEUE_FILTERS = ("kind", "status", "category", "priority", "page")


# --- Presentation --------------------------------------------------------------------


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 48:
        return _("%(n)s h") % {"n": formats.number_format(value, 1)}
    return _("%(n)s d") % {"n": formats.number_format(value / 24, 1)}


def _share(figures: stats.Figures) -> str:
    share = figures.target_share
    return "—" if share is None else f"{formats.number_format(share * 100, 0)} %"


def _rating(value: float | None) -> str:
    return "—" if value is None else f"{formats.number_format(value, 1)} / 5"


@dataclass(frozen=True)
class Row:
    label: str
    figures: stats.Figures
    ack_median: str
    ack_mean: str
    resolve_median: str
    resolve_mean: str
    within_target: str
    rating: str
    url: str = ""


def _row(label: str, figures: stats.Figures, url: str = "") -> Row:
    return Row(
        label=label,
        figures=figures,
        ack_median=_hours(figures.ack_median),
        ack_mean=_hours(figures.ack_mean),
        resolve_median=_hours(figures.resolve_median),
        resolve_mean=_hours(figures.resolve_mean),
        within_target=_share(figures),
        rating=_rating(figures.rating_mean),
        url=url,
    )


def _category_rows(report: stats.Report) -> list[Row]:
    labels = dict(Category.choices)
    return [_row(labels[key], f) for key, f in report.by_category.items()]


# Month chart geometry (SVG user units; the SVG scales to the page's width).
CHART_WIDTH, CHART_HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 28, 28


def _nice_max(value: int) -> int:
    """The axis maximum: 2, 4 or 10 times a power of ten, at least `value` (even,
    so that the middle gridline falls on a whole number)."""
    scale = 1
    while True:
        for step in (2, 4, 10):
            if step * scale >= value:
                return step * scale
        scale *= 10


def month_chart(months: list[stats.MonthCount]) -> dict:
    """Two bars per month (opened, closed), with three gridlines."""
    top = _nice_max(max([m.opened for m in months] + [m.closed for m in months]))
    plot_w = CHART_WIDTH - LEFT - RIGHT
    plot_h = CHART_HEIGHT - TOP - BOTTOM
    group = plot_w / len(months)
    bar = group * 0.36
    baseline = TOP + plot_h

    def height(n: int) -> float:
        return round(plot_h * n / top)

    bars = []
    for index, month in enumerate(months):
        x = LEFT + index * group + group * 0.12
        bars.append(
            {
                "month": month.month,
                "opened": month.opened,
                "closed": month.closed,
                "opened_x": round(x),
                "closed_x": round(x + bar + 1),
                "opened_y": round(baseline - height(month.opened)),
                "closed_y": round(baseline - height(month.closed)),
                "opened_h": height(month.opened),
                "closed_h": height(month.closed),
                "label_x": round(LEFT + index * group + group / 2),
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": LEFT,
        "right": CHART_WIDTH - RIGHT,
        "baseline": baseline,
        "label_y": baseline + 18,
        "bar": round(bar),
        "bars": bars,
        "grid": [
            {"value": top * i // 2, "y": round(baseline - plot_h * i / 2)}
            for i in range(3)
        ],
    }


def category_chart(rows: list[Row]) -> dict:
    """One horizontal bar per category: the median time to resolve, in days."""
    values = [
        (row.label, row.figures.resolve_median or 0.0, row.resolve_median)
        for row in rows
    ]
    top = max([v for _label, v, _text in values] + [1.0])
    label_w, bar_h, gap = 190, 18, 8
    plot_w = CHART_WIDTH - label_w - 90
    return {
        "width": CHART_WIDTH,
        "height": len(values) * (bar_h + gap) + gap,
        "label_x": label_w - 8,
        "bars": [
            {
                "label": label,
                "text": text,
                "x": label_w,
                "y": gap + index * (bar_h + gap),
                "text_y": gap + index * (bar_h + gap) + bar_h - 4,
                "w": round(plot_w * value / top),
                "end_x": round(label_w + plot_w * value / top + 6),
                "h": bar_h,
            }
            for index, (label, value, text) in enumerate(values)
        ],
    }


# --- CSV -----------------------------------------------------------------------------


def _cell(text: str) -> str:
    # A spreadsheet runs a cell starting with one of these as a formula.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _decimal(value: float | None, digits: int = 1) -> str:
    # French Excel (the `;` separator) reads a decimal comma.
    return "" if value is None else f"{value:.{digits}f}".replace(".", ",")


def _figure_cells(figures: stats.Figures) -> list:
    share = figures.target_share
    return [
        figures.tickets,
        figures.acknowledged,
        _decimal(figures.ack_median),
        _decimal(figures.ack_mean),
        figures.resolved,
        _decimal(figures.resolve_median),
        _decimal(figures.resolve_mean),
        figures.decided,
        figures.within_target,
        _decimal(None if share is None else share * 100),
        figures.ratings,
        _decimal(figures.rating_mean, 2),
    ]


def _figure_headers(first: str) -> list[str]:
    return [
        first,
        _("Declared"),
        _("Acknowledged"),
        _("Median time to acknowledge (hours)"),
        _("Mean time to acknowledge (hours)"),
        _("Resolved"),
        _("Median time to resolve (hours)"),
        _("Mean time to resolve (hours)"),
        _("Outcome known"),
        _("Resolved within target"),
        _("Share resolved within target (%)"),
        _("Ratings"),
        _("Average rating"),
    ]


def _csv(
    report: stats.Report, filename: str, residence_rows: list[Row] = ()
) -> HttpResponse:
    """UTF-8 with a BOM and `;`, as French Excel opens it with a double click."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Month"), _("Opened"), _("Closed")])
    for month in report.months:
        writer.writerow([month.month.strftime("%Y-%m"), month.opened, month.closed])
    writer.writerow([])
    writer.writerow(_figure_headers(_("Category")))
    labels = dict(Category.choices)
    for key, figures in report.by_category.items():
        writer.writerow([_cell(str(labels[key])), *_figure_cells(figures)])
    writer.writerow([_("All categories"), *_figure_cells(report.total)])
    if residence_rows:
        writer.writerow([])
        writer.writerow(_figure_headers(_("Residence")))
        for row in residence_rows:
            writer.writerow([_cell(row.label), *_figure_cells(row.figures)])
    return response


# --- Views ---------------------------------------------------------------------------


def _kind(request: HttpRequest) -> str:
    kind = request.GET.get("kind", "")
    return kind if kind in Kind.values else ""


def _page(request, standing, report, *, title, rows, residence_rows=(), **extra):
    tables = [
        {
            "id": "categories",
            "heading": _("Handling times by category"),
            "caption": _("Figures per category"),
            "first_header": _("Category"),
            "rows": rows,
            "total": _row(_("All categories"), report.total),
            "chart": category_chart(rows) if rows else None,
        }
    ]
    if residence_rows:
        tables.append(
            {
                "id": "residences",
                "heading": _("By residence"),
                "caption": _("Figures per residence"),
                "first_header": _("Residence"),
                "rows": residence_rows,
            }
        )
    return render(
        request,
        "incidents/stats.html",
        {
            "title": title,
            "report": report,
            "total": _row(_("All categories"), report.total),
            "tables": tables,
            "month_chart": month_chart(report.months),
            "kind": _kind(request),
            "kinds": Kind.choices,
            "csv_query": _csv_query(request),
            "targets": _targets(),
            "is_syndic": standing.can(Perm.HANDLE_TICKETS),
            **extra,
        },
    )


def _targets() -> list[tuple[str, int]]:
    per_priority, default = stats.target_hours()
    labels = {1: "P1", 2: "P2", 3: "P3", 4: "P4"}
    found = [
        (labels.get(p, f"P{p}"), round(h)) for p, h in sorted(per_priority.items())
    ]
    return [*found, (_("no priority"), round(default))]


def _csv_query(request: HttpRequest) -> str:
    query = QueryDict(mutable=True)
    if _kind(request):
        query["kind"] = _kind(request)
    query["format"] = "csv"
    return query.urlencode()


@residence_view(Perm.FOLLOW_TICKETS)
@require_GET
def residence_stats(request: HttpRequest, standing: Standing) -> HttpResponse:
    """The residence's figures over the last 12 months; `?format=csv` exports them."""
    tickets = selectors.tickets_for(standing)
    if _kind(request):
        tickets = tickets.filter(kind=_kind(request))
    report = stats.report(tickets)
    if request.GET.get("format") == "csv":
        day = timezone.localdate().isoformat()
        return _csv(report, f"incidents-{standing.residence.slug}-{day}.csv")
    return _page(
        request,
        standing,
        report,
        title=_("Statistics"),
        rows=_category_rows(report),
    )


@residence_view(Perm.HANDLE_TICKETS)
@require_GET
def syndic_stats(request: HttpRequest, standing: Standing) -> HttpResponse:
    """The same figures across every residence of this residence's syndic, with a
    line per residence (syndic staff only)."""
    residences = list(stats.syndic_residences(standing))
    tickets = stats.syndic_tickets(standing)
    if _kind(request):
        tickets = tickets.filter(kind=_kind(request))
    report = stats.report(tickets, residences=residences)
    residence_rows = [
        _row(
            residence.name,
            report.by_residence[residence.pk],
            reverse("incidents:stats", args=[residence.slug]),
        )
        for residence in residences
    ]
    syndic = standing.residence.syndic
    if request.GET.get("format") == "csv":
        day = timezone.localdate().isoformat()
        name = slugify(syndic.name) or f"syndic-{syndic.pk}"
        return _csv(report, f"incidents-{name}-{day}.csv", residence_rows)
    return _page(
        request,
        standing,
        report,
        title=_("Statistics of %(syndic)s") % {"syndic": syndic.name},
        rows=_category_rows(report),
        residence_rows=residence_rows,
        syndic=syndic,
    )


def _queue_url(standing: Standing, query: str) -> str:
    """Back to the queue with its filters (known keys only: never a free URL)."""
    given = QueryDict(query)
    kept = QueryDict(mutable=True)
    for key in QUEUE_FILTERS:
        if given.get(key):
            kept[key] = given[key][:50]
    url = reverse("incidents:queue", args=[standing.residence.slug])
    return f"{url}?{kept.urlencode()}" if kept else url


@residence_view(Perm.HANDLE_TICKETS)
@require_POST
def queue_bulk_move(request: HttpRequest, standing: Standing) -> HttpResponse:
    """Move the ticked tickets to one status; each one checked against the
    workflow; says how many moved and which were refused, and why."""
    back = _queue_url(standing, request.POST.get("query", ""))
    form = bulk.BulkMoveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    result = bulk.tickets_move_many(
        standing=standing,
        by=request.user,
        ticket_ids=form.cleaned_data["tickets"],
        to_status=form.cleaned_data["to_status"],
        comment=form.cleaned_data["comment"],
    )
    status = Status(form.cleaned_data["to_status"]).label
    if result.moved:
        messages.success(
            request,
            ngettext(
                "%(count)s item moved to “%(status)s”.",
                "%(count)s items moved to “%(status)s”.",
                len(result.moved),
            )
            % {"count": len(result.moved), "status": status},
        )
    for ticket, reason in result.refused:
        if isinstance(ticket, int):
            label = _("No. %(number)s") % {"number": ticket}
        else:
            label = _("No. %(number)s “%(title)s”") % {
                "number": ticket.pk,
                "title": ticket.title,
            }
        text = _("Not moved: %(ticket)s. %(reason)s")
        messages.error(request, text % {"ticket": label, "reason": reason})
    return redirect(back)
