"""Documents benchmark: the library's list and search pages on a large library.

Usage: python bench/documents.py [--requests 30]
Needs `manage.py seed_demo --scale 3 --documents 100000`. Like bench/run.py it runs
in-process through Django's test client against the configured database, and gives
each page's p50 and p95 as ratios to /healthz/'s median measured in the same run, its
query count (from Server-Timing) and how many documents match: the query count must be
the same from a handful of matches to tens of thousands. Then it runs EXPLAIN ANALYZE
on the search's own SQL, as the view sent it, and says whether the GIN index
`document_search` was used (BENCH_PLANS=1 prints the whole plans).
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
from measuring import get, measure, p95  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from documents import selectors  # noqa: E402
from documents.models import Document  # noqa: E402
from residents.access import standing  # noqa: E402
from residents.models import (  # noqa: E402
    Membership,
    MembershipStatus,
    Residence,
    Role,
)

COMMON_WORDS = "assemblée générale travaux"


def owner_of(residence: Residence):
    membership = (
        Membership.objects.filter(
            residence=residence, role=Role.OWNER, status=MembershipStatus.ACTIVE
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pages(year: int) -> list[tuple[str, str, dict]]:
    """(name, who, query string) of the pages measured; "search" pages pool into the
    search percentiles."""
    return [
        ("list", "owner", {}),
        ("list page 40", "owner", {"page": 40}),
        ("list category+year", "owner", {"category": "invoices", "year": year}),
        ("list (syndic)", "syndic", {}),
        ("search 3 common words", "owner", {"q": COMMON_WORDS}),
        ("search 1 common word", "owner", {"q": "ascenseur"}),
        ("search page 40", "owner", {"q": "ascenseur", "page": 40}),
        ("search rare word", "owner", {"q": "mérule"}),
        (
            "search + filters",
            "owner",
            {"q": "ravalement façade", "category": "minutes", "year": year},
        ),
        ("search tag + word", "owner", {"q": "fuite", "tag": "eau"}),
        ("search (syndic)", "syndic", {"q": COMMON_WORDS}),
    ]


def explain(client: Client, url: str) -> None:
    """EXPLAIN ANALYZE the search queries exactly as the view sent them."""
    with CaptureQueriesContext(connection) as captured:
        get(client, url)
    searches = [q["sql"] for q in captured.captured_queries if "@@" in q["sql"]]
    with connection.cursor() as cursor:
        for sql in searches:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = [row[0] for row in cursor.fetchall()]
            kind = "COUNT (paginator)" if "COUNT(" in sql.upper() else "page of results"
            used = [line.strip() for line in plan if "document_search" in line]
            total = next((line for line in plan if "Execution Time" in line), "")
            jit = next((line for line in plan if "Timing: Generation" in line), "")
            jit = jit and f" (of which JIT compilation: {jit.split('Total')[-1]})"
            print(f"\nEXPLAIN ANALYZE, {kind}: {total.strip()}{jit}")
            print(
                "  GIN index document_search used: "
                + (f"yes — {used[0]}" if used else "NO")
            )
            if os.environ.get("BENCH_PLANS"):
                print("\n".join(f"    {line}" for line in plan))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    residence = (
        Residence.objects.filter(slug__startswith="scale-")
        .annotate(n=Count("documents"))
        .order_by("-n", "pk")
        .first()
    )
    if residence is None or residence.n < 1000:
        sys.exit(
            "No generated library: run "
            "`manage.py seed_demo --scale 3 --documents 100000` first."
        )
    total = Document.objects.count()
    owner = owner_of(residence)
    employee = residence.syndic.employees.select_related("user").first()
    if owner is None or employee is None:
        sys.exit(f"{residence.slug} has no owner or no syndic staff.")
    users = {"owner": owner, "syndic": employee.user}
    clients = {who: client_for(user) for who, user in users.items()}
    standings = {who: standing(user, residence.slug) for who, user in users.items()}
    year = Document.objects.filter(residence=residence).latest("date").date.year - 3
    print(
        f"{total:,} documents in the database; {residence.n:,} in {residence.slug} "
        f"(measured); {args.requests} requests per page.\n"
    )

    base = statistics.median(measure(Client(), "/healthz/", args.requests)[0])
    print(f"{'page':24} {'p50 ms':>8} {'p95 ms':>8} {'p50 x':>6} {'p95 x':>6} "
          f"{'queries':>7} {'matches':>7}")  # fmt: skip
    print(f"{'healthz':24} {base * 1000:8.2f} {'':>8} {1.0:6.1f}")
    search_durations: list[float] = []
    counts: dict[int, list[str]] = {}
    for name, who, params in pages(year):
        url = f"/r/{residence.slug}/documents/?{urlencode(params)}"
        durations, queries = measure(clients[who], url, args.requests)
        if name.startswith("search"):
            search_durations += durations
        counts.setdefault(queries, []).append(name)
        filters = selectors.Filters.from_query(QueryDict(urlencode(params)))
        matches = selectors.search_library(standings[who], filters).count()
        p50, high = statistics.median(durations), p95(durations)
        print(
            f"{name:24} {p50 * 1000:8.2f} {high * 1000:8.2f} {p50 / base:6.1f} "
            f"{high / base:6.1f} {queries:7} {matches:7}"
        )
    p50, high = statistics.median(search_durations), p95(search_durations)
    print(
        f"\nSearch requests ({len(search_durations)}): p50 {p50 * 1000:.1f} ms "
        f"({p50 / base:.1f} x healthz), p95 {high * 1000:.1f} ms "
        f"({high / base:.1f} x healthz)."
    )
    if len(counts) == 1:
        print(f"Query count: {next(iter(counts))} on every page, whatever the matches.")
    else:
        print(f"Query count NOT constant: {counts}")
    explain(
        clients["owner"],
        f"/r/{residence.slug}/documents/?{urlencode({'q': COMMON_WORDS})}",
    )


if __name__ == "__main__":
    main()
