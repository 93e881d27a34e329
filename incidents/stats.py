"""Statistics on incidents and requests, computed by PostgreSQL.

Pure functions over an already scoped `QuerySet[Ticket]` (the caller decides whose
tickets: `selectors.tickets_for(standing)`, or a syndic's residences): a constant
number of queries whatever the volume.

Definitions (shown on the page too):
- *opened* in a month: tickets declared that month;
- *closed* in a month: moves from an open state to resolved, closed or rejected
  (a ticket reopened and resolved again counts twice: it was closed twice);
- *time to acknowledge*: declaration → first move to acknowledged or in progress;
- *time to resolve*: declaration → first move to resolved (a ticket reopened and
  resolved again keeps its first resolution);
- *within target*: resolved within the target of its priority
  (`COPRO_TICKET_TARGET_HOURS`), out of the tickets whose outcome is known: those
  resolved, and those still open past their target;
- duplicates merged into another ticket are left out.
Medians are PostgreSQL's `percentile_cont(0.5)` (interpolated between the two
middle values).
Times, shares and ratings cover the tickets declared in the period (the last 12
months by default, this month included).

The two first moves are stored on the ticket (`acknowledged_at`, `resolved_at`,
always equal to its earliest such transitions): the figures are plain aggregates
over the tickets, without a look into their transitions.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    F,
    FloatField,
    Func,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from residents.access import Perm, Standing
from residents.models import Residence

from .models import Category, Ticket, Transition
from .workflow import DONE_STATUSES, OPEN_STATUSES

DEFAULT_TARGET_HOURS = {1: 24, 2: 72, 3: 240, 4: 720}
DEFAULT_TARGET_HOURS_UNPRIORITISED = 240


class Seconds(Func):
    """The length of an interval in seconds (NULL stays NULL)."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)::double precision"
    output_field = FloatField()


def target_hours() -> tuple[dict[int, float], float]:
    """The resolution targets per priority, and for tickets without one."""
    per_priority = getattr(settings, "COPRO_TICKET_TARGET_HOURS", DEFAULT_TARGET_HOURS)
    default = getattr(
        settings,
        "COPRO_TICKET_TARGET_DEFAULT_HOURS",
        DEFAULT_TARGET_HOURS_UNPRIORITISED,
    )
    return {int(p): float(h) for p, h in per_priority.items()}, float(default)


def month_starts(today: date, months: int = 12) -> list[date]:
    """The first day of the last `months` months, oldest first, this one included."""
    index = today.year * 12 + today.month - 1
    return [
        date((i // 12), (i % 12) + 1, 1) for i in range(index - months + 1, index + 1)
    ]


def period_start(months: list[date]) -> datetime:
    return timezone.make_aware(datetime.combine(months[0], datetime.min.time()))


@dataclass(frozen=True)
class MonthCount:
    month: date
    opened: int
    closed: int


@dataclass(frozen=True)
class Figures:
    """Times in hours; None when nothing to measure."""

    key: Hashable
    tickets: int
    acknowledged: int
    ack_median: float | None
    ack_mean: float | None
    resolved: int
    resolve_median: float | None
    resolve_mean: float | None
    decided: int
    within_target: int
    ratings: int
    rating_mean: float | None

    @property
    def target_share(self) -> float | None:
        """Share (0–1) resolved within target, of those whose outcome is known."""
        return self.within_target / self.decided if self.decided else None


def _counted(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.filter(merged_into=None)


def monthly_counts(tickets: QuerySet[Ticket], months: list[date]) -> list[MonthCount]:
    """Opened and closed per month (two queries)."""
    since = period_start(months)
    tickets = _counted(tickets)
    opened = dict(
        tickets.filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        # COUNT(*), here and below: the partial indexes `ticket_stats_declared` and
        # `transition_closing` then answer alone (index-only scans).
        .annotate(n=Count("*"))
        .values_list("month", "n")
        .order_by()
    )
    closed = dict(
        Transition.objects.filter(
            # A ticket's last move is its status_changed_at: only tickets moved
            # in the period can have closing moves in it (a cheap, exact filter).
            ticket__in=tickets.filter(status_changed_at__gte=since).values("pk"),
            at__gte=since,
            from_status__in=list(OPEN_STATUSES),
            to_status__in=list(DONE_STATUSES),
        )
        .annotate(month=TruncMonth("at"))
        .values("month")
        .annotate(n=Count("*"))
        .values_list("month", "n")
        .order_by()
    )
    # TruncMonth gives aware datetimes in the current time zone.
    opened = {timezone.localtime(k).date(): n for k, n in opened.items()}
    closed = {timezone.localtime(k).date(): n for k, n in closed.items()}
    return [MonthCount(m, opened.get(m, 0), closed.get(m, 0)) for m in months]


def _target_seconds() -> Case:
    per_priority, default = target_hours()
    return Case(
        *(
            When(priority=p, then=Value(h * 3600.0))
            for p, h in sorted(per_priority.items())
        ),
        default=Value(default * 3600.0),
        output_field=FloatField(),
    )


_HOUR = 3600.0
_FIELDS = [
    "tickets",
    "acknowledged",
    "ack_median",
    "ack_mean",
    "resolved",
    "resolve_median",
    "resolve_mean",
    "decided",
    "within_target",
    "ratings",
    "rating_mean",
]
# The outer query over the scoped tickets (built by the ORM as `timed`): one pass,
# the figures of every category, of every residence and of all, through GROUPING
# SETS (which the ORM cannot write).
_FIGURES_SQL = """
SELECT GROUPING(cat) AS all_cats, GROUPING(res) AS all_res, cat, res,
    COUNT(*),
    COUNT(ack_s),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY ack_s),
    AVG(ack_s),
    COUNT(resolve_s),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY resolve_s),
    AVG(resolve_s),
    COUNT(*) FILTER (WHERE resolve_s IS NOT NULL OR (is_open AND age_s > target_s)),
    COUNT(*) FILTER (WHERE resolve_s <= target_s),
    COUNT(stars),
    AVG(stars)::double precision
FROM ({timed}) AS timed
GROUP BY GROUPING SETS ((), (cat), (res))
"""


def _figures(key: Hashable, values: Sequence) -> Figures:
    found = dict(zip(_FIELDS, values, strict=True))
    for name in ("ack_median", "ack_mean", "resolve_median", "resolve_mean"):
        if found[name] is not None:
            found[name] = float(found[name]) / _HOUR
    return Figures(key=key, **found)


def _timed(tickets: QuerySet[Ticket], since: datetime, now: datetime):
    """One row per ticket declared since `since`: its category and residence, the
    seconds to its stored first acknowledgement and first resolution, its age,
    target and rating."""
    return (
        _counted(tickets)
        .filter(created_at__gte=since)
        .annotate(
            cat=F("category"),
            res=F("residence_id"),
            is_open=Case(
                When(status__in=list(OPEN_STATUSES), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            stars=F("rating"),
            ack_s=Seconds(F("acknowledged_at") - F("created_at")),
            resolve_s=Seconds(F("resolved_at") - F("created_at")),
            age_s=Seconds(Value(now, output_field=DateTimeField()) - F("created_at")),
            target_s=_target_seconds(),
        )
        .values(
            "cat", "res", "is_open", "stars", "ack_s", "resolve_s", "age_s", "target_s"
        )  # fmt: skip
        .order_by()
    )


@dataclass(frozen=True)
class Grouped:
    total: Figures
    by_category: dict[str, Figures]
    by_residence: dict[int, Figures]


def figures(
    tickets: QuerySet[Ticket], *, since: datetime, now: datetime | None = None
) -> Grouped:
    """The figures of the tickets declared since `since`: all of them, per
    category and per residence, in one query (groups without tickets are absent)."""
    now = now or timezone.now()
    total = _figures(None, [0, 0, None, None, 0, None, None, 0, 0, 0, None])
    try:
        timed, params = _timed(tickets, since, now).query.sql_with_params()
    except EmptyResultSet:  # e.g. `tickets.none()`
        return Grouped(total, {}, {})
    with connection.cursor() as cursor:
        cursor.execute(_FIGURES_SQL.format(timed=timed), params)
        rows = cursor.fetchall()
    by_category, by_residence = {}, {}
    for all_cats, all_res, category, residence, *values in rows:
        if all_cats and all_res:
            total = _figures(None, values)
        elif not all_cats:
            by_category[category] = _figures(category, values)
        else:
            by_residence[residence] = _figures(residence, values)
    return Grouped(total, by_category, by_residence)


@dataclass(frozen=True)
class Report:
    months: list[MonthCount]
    by_category: dict[str, Figures]  # the categories with tickets, in list order
    total: Figures
    since: datetime
    until: datetime
    by_residence: dict[int, Figures] = field(default_factory=dict)


def report(
    tickets: QuerySet[Ticket],
    *,
    months: int = 12,
    residences: Iterable[Residence] = (),
    now: datetime | None = None,
) -> Report:
    """Everything the statistics page shows, in three queries (with a line per
    residence of `residences`)."""
    now = now or timezone.now()
    starts = month_starts(timezone.localdate(now), months)
    since = period_start(starts)
    found = figures(tickets, since=since, now=now)
    empty = _figures(None, [0, 0, None, None, 0, None, None, 0, 0, 0, None])
    return Report(
        months=monthly_counts(tickets, starts),
        by_category={
            c.value: found.by_category[c.value]
            for c in Category
            if c.value in found.by_category
        },
        total=found.total,
        since=since,
        until=now,
        by_residence={
            r.pk: found.by_residence.get(r.pk, replace(empty, key=r.pk))
            for r in residences
        },
    )


# --- Scopes for the syndic's page -----------------------------------------------------


def syndic_residences(standing: Standing) -> QuerySet[Residence]:
    """The residences of this residence's syndic, for its staff; none otherwise."""
    if not standing.can(Perm.HANDLE_TICKETS):
        return Residence.objects.none()
    return Residence.objects.filter(syndic_id=standing.residence.syndic_id).order_by(
        "name", "pk"
    )


def syndic_tickets(standing: Standing) -> QuerySet[Ticket]:
    """Every ticket of those residences (the syndic sees them all, private
    requests included)."""
    return Ticket.objects.filter(residence__in=syndic_residences(standing))
