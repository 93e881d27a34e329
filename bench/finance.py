"""Finance benchmark: the account pages on a million ledger entries, then issuing a
200-lot residence's calls and rendering one quarter's notices.

Usage: python bench/finance.py [--requests 30] [--lots 200]
Needs `manage.py seed_demo --scale 3 --entries 1000000` (some 3,500 entries per
co-owner over ten years: denser than life; generate about 100 residences first,
`--scale 100`, for a hundred per co-owner as in life). Like bench/run.py it runs
in-process through Django's test client against the configured database and gives
each page's p50 and p95 as ratios to /healthz/'s median measured in the same run,
its query count (from Server-Timing) and how many entries the page covers: the query
count must not depend on the history. EXPLAIN ANALYZE then times the ledger's own
SQL of the owner's page (BENCH_PLANS=1 prints the plans).

Last, inside a transaction that is rolled back (nothing stays), it generates a
residence of `--lots` lots with one owner per flat, saves a budget and times
`services.budget_calls_issue` (the year's four quarterly calls, their shares and
entries), then the notice task's body for the first quarter's call
(`notice_batch.render_call_notices`, called synchronously: every co-owner's PDF into
one ZIP, written under a temporary MEDIA_ROOT that is deleted afterwards).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import zipfile
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "copro.settings")
os.environ["SERVER_TIMING"] = "1"

import django  # noqa: E402
from measuring import get, measure, p95  # noqa: E402

django.setup()
# WeasyPrint logs each step of each PDF at INFO.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

from django.core.files.storage import default_storage  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Max, Min  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from finance import notice_batch, services  # noqa: E402
from finance.models import Account, Entry, FundCall  # noqa: E402
from residents.models import Residence, User  # noqa: E402
from residents.scale import seed_scale  # noqa: E402


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def row(name: str, durations: list[float], base: float, queries: int, covers) -> str:
    p50, high = statistics.median(durations), p95(durations)
    return (
        f"{name:28} {p50 * 1000:8.2f} {high * 1000:8.2f} {p50 / base:6.1f} "
        f"{high / base:6.1f} {queries:7} {covers:>9}"
    )


def explain(client: Client, url: str) -> None:
    """EXPLAIN ANALYZE the page's queries on the ledger, as the view sent them."""
    with CaptureQueriesContext(connection) as captured:
        get(client, url)
    ledger = [
        q["sql"] for q in captured.captured_queries if "finance_entry" in q["sql"]
    ]
    with connection.cursor() as cursor:
        for sql in ledger:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = [line for (line,) in cursor.fetchall()]
            total = next((ln for ln in plan if "Execution Time" in ln), "").strip()
            scans = sorted(
                {
                    ln.split(" on ")[0].split("->")[-1].strip()
                    for ln in plan
                    if " on " in ln
                }
            )
            print(f"  {total:32} {', '.join(scans)}: {sql[:90]}…")
            if os.environ.get("BENCH_PLANS"):
                print("\n".join(f"      {line}" for line in plan))


def pages(args) -> None:
    account = (
        Account.objects.filter(residence__slug__startswith="scale-")
        .select_related("residence__syndic", "owner")
        .annotate(n=Count("entries"))
        .order_by("-n", "pk")
        .first()
    )
    if account is None or account.n < 100:
        sys.exit(
            "No generated ledger: run "
            "`manage.py seed_demo --scale 3 --entries 1000000` first."
        )
    residence = account.residence
    employee = residence.syndic.employees.select_related("user").first()
    if employee is None:
        sys.exit(f"{residence.slug} has no syndic staff.")
    in_residence = Entry.objects.filter(account__residence=residence).count()
    span = Entry.objects.filter(account=account).aggregate(
        first=Min("on"), last=Max("on")
    )
    accounts = Account.objects.filter(residence=residence).count()
    print(
        f"{Entry.objects.count():,} ledger entries in the database; {in_residence:,} "
        f"in {residence.slug} ({accounts} accounts); the owner measured "
        f"({account.owner.email}) has {account.n:,} from {span['first']} to "
        f"{span['last']}; "
        f"{args.requests} requests per page.\n"
    )
    owner, syndic = client_for(account.owner), client_for(employee.user)
    slug = residence.slug
    last_page = (account.n + 24) // 25
    latest_call = FundCall.objects.filter(residence=residence).first()
    measured = [
        ("account (owner)", owner, f"/r/{slug}/charges/", account.n),
        (
            f"account, page {last_page}",
            owner,
            f"/r/{slug}/charges/?page={last_page}",
            account.n,
        ),
        ("dashboard (owner)", owner, f"/r/{slug}/", account.n),
        ("accounts (syndic)", syndic, f"/r/{slug}/charges/accounts/", in_residence),
        (
            "call detail (syndic)",
            syndic,
            f"/r/{slug}/charges/calls/{latest_call.pk}/",
            latest_call.shares.count(),
        ),
    ]
    base = statistics.median(measure(Client(), "/healthz/", args.requests)[0])
    print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8} {'p50 x':>6} {'p95 x':>6} "
          f"{'queries':>7} {'covers':>9}")  # fmt: skip
    print(f"{'healthz':28} {base * 1000:8.2f} {'':>8} {1.0:6.1f}")
    for name, client, url, covers in measured:
        durations, queries = measure(client, url, args.requests)
        print(row(name, durations, base, queries, f"{covers:,}"))
    print("\nEXPLAIN ANALYZE of the owner's account page, ledger queries:")
    explain(owner, f"/r/{slug}/charges/")
    print("EXPLAIN ANALYZE of the syndic's accounts page, ledger queries:")
    explain(syndic, f"/r/{slug}/charges/accounts/")


def issuing(lots: int) -> None:
    """Issue and render for a generated residence, then roll everything back."""
    print(f"\nA generated residence of {lots} lots (rolled back afterwards):")
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        with transaction.atomic():
            seed_scale(1, lots_per_residence=lots, seed=7)
            residence = Residence.objects.filter(slug__startswith="scale-").latest("pk")
            manager = residence.syndic.employees.select_related("user").first().user
            keys = {key.code: key for key in residence.allocation_keys.all()}
            budget = services.budget_save(
                residence=residence,
                year=timezone.localdate().year + 1,
                lines={
                    keys["generales"].pk: Decimal(lots) * Decimal("1150"),
                    keys["ascenseur"].pk: Decimal(lots) * Decimal("72"),
                },
                works_fund=Decimal(lots) * Decimal("61.10"),
                by=manager,
            )
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                calls = services.budget_calls_issue(budget=budget, by=manager)
                issued = time.perf_counter() - start
            entries = Entry.objects.filter(call__in=calls).count()
            shares = sum(call.shares.count() for call in calls)
            print(
                f"  issuing the year's budget: {len(calls)} quarterly calls, "
                f"{shares:,} shares, {entries:,} entries in {issued * 1000:.0f} ms "
                f"({len(captured.captured_queries)} queries)"
            )
            start = time.perf_counter()
            name = notice_batch.render_call_notices(calls[0].pk)
            rendered = time.perf_counter() - start
            with default_storage.open(name) as stored, zipfile.ZipFile(stored) as zf:
                pdfs = [i for i in zf.infolist() if i.filename.endswith(".pdf")]
                size = default_storage.size(name)
            print(
                f"  one quarter's notices: {len(pdfs)} PDFs in one ZIP of "
                f"{size / 2**20:.1f} MiB in {rendered:.1f} s "
                f"({rendered / len(pdfs) * 1000:.0f} ms a notice)"
            )
            transaction.set_rollback(True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--lots", type=int, default=200)
    args = parser.parse_args()
    pages(args)
    issuing(args.lots)


if __name__ == "__main__":
    main()
