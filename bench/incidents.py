"""Incidents benchmark: the syndic's queue (with its filters) and the statistics
pages on 100,000 tickets.

Usage: python bench/incidents.py [--requests 30] [--only stats]
Needs `manage.py seed_demo --scale 3` then `manage.py seed_incidents 100000`. Like
bench/run.py it runs in-process through Django's test client against the configured
database, as the manager of the generated residence with the most tickets, and gives
each page's p50 and p95 as ratios to /healthz/'s median measured in the same run, its
query count (from Server-Timing) and how many tickets the page covers: the query
count must not depend on the volume.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "copro.settings")
os.environ["SERVER_TIMING"] = "1"

import django  # noqa: E402
from measuring import measure, p95  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from incidents import selectors, stats  # noqa: E402
from incidents.models import Ticket  # noqa: E402
from residents.access import standing  # noqa: E402
from residents.models import Residence  # noqa: E402

QUEUE = [
    ("queue (open)", {}),
    ("queue all statuses", {"status": ""}),
    ("queue all, page 40", {"status": "", "page": 40}),
    ("queue closed", {"status": "closed"}),
    ("queue water (open)", {"category": "water"}),
    ("queue P1, all", {"priority": 1, "status": ""}),
    ("queue requests, all", {"kind": "request", "status": ""}),
]
STATS = [
    ("stats", "stats/", {}),
    ("stats incidents only", "stats/", {"kind": "incident"}),
    ("stats CSV", "stats/", {"format": "csv"}),
    ("stats syndic (all res.)", "stats/syndic/", {}),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument(
        "--only", default="", help="measure only the pages whose name contains this"
    )
    args = parser.parse_args()
    residence = (
        Residence.objects.filter(slug__startswith="scale-")
        .select_related("syndic")
        .annotate(n=Count("tickets"))
        .order_by("-n", "pk")
        .first()
    )
    if residence is None or residence.n < 1000:
        sys.exit(
            "No generated tickets: run `manage.py seed_demo --scale 3` then "
            "`manage.py seed_incidents 100000` first."
        )
    employee = residence.syndic.employees.select_related("user").first()
    if employee is None:
        sys.exit(f"{residence.slug} has no syndic staff.")
    client = Client()
    client.force_login(employee.user)
    scope = standing(employee.user, residence.slug)
    print(
        f"{Ticket.objects.count():,} tickets in the database; {residence.n:,} in "
        f"{residence.slug} (measured, as {employee.user.email}); "
        f"{args.requests} requests per page.\n"
    )
    base = statistics.median(measure(Client(), "/healthz/", args.requests)[0])
    print(f"{'page':26} {'p50 ms':>8} {'p95 ms':>8} {'p50 x':>6} {'p95 x':>6} "
          f"{'queries':>7} {'tickets':>7}")  # fmt: skip
    print(f"{'healthz':26} {base * 1000:8.2f} {'':>8} {1.0:6.1f}")
    rows = []
    for name, params in QUEUE:
        url = f"/r/{residence.slug}/incidents/queue/?{urlencode(params)}"
        filters = {k: str(v) for k, v in params.items() if k != "page"}
        filters.setdefault("status", "open")
        covered = selectors.queue(scope, filters).count()
        rows.append((name, url, covered))
    since = stats.period_start(stats.month_starts(timezone.localdate()))
    in_period = Ticket.objects.filter(residence=residence, created_at__gte=since)
    all_residences = Ticket.objects.filter(
        residence__syndic=residence.syndic, created_at__gte=since
    )
    for name, path, params in STATS:
        url = f"/r/{residence.slug}/incidents/{path}?{urlencode(params)}"
        scope_tickets = all_residences if "syndic" in path else in_period
        if params.get("kind"):
            scope_tickets = scope_tickets.filter(kind=params["kind"])
        covered = scope_tickets.filter(merged_into=None).count()
        rows.append((name, url, covered))
    counts: dict[int, list[str]] = {}
    for name, url, covered in rows:
        if args.only not in name:
            continue
        durations, queries = measure(client, url, args.requests)
        counts.setdefault(queries, []).append(name)
        p50, high = statistics.median(durations), p95(durations)
        print(
            f"{name:26} {p50 * 1000:8.2f} {high * 1000:8.2f} {p50 / base:6.1f} "
            f"{high / base:6.1f} {queries:7} {covered:7}"
        )
    print(f"\nQuery counts: {counts}")


if __name__ == "__main__":
    main()
