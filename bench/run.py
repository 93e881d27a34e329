"""Page benchmarks: each page's median time as a ratio to /healthz/, in one run.

Usage: python bench/run.py [--requests 50]
Needs the demo data with generated residences (`manage.py seed_demo --scale 3`); it runs
in-process through Django's test client against the configured database, so the figures
measure our code and its SQL, not the network. Query counts come from Server-Timing.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "copro.settings")
os.environ["SERVER_TIMING"] = "1"

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from residents.models import Membership, MembershipStatus, Residence, Role  # noqa: E402

TIMING = re.compile(r'desc="(\d+) queries"')


def measure(client: Client, url: str, requests: int) -> tuple[float, int]:
    durations, queries = [], 0
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url, HTTP_HOST="127.0.0.1")
        durations.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
        queries = int(TIMING.search(response["Server-Timing"]).group(1))
    return statistics.median(durations), queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    residence = Residence.objects.filter(slug__startswith="scale-").first()
    if residence is None:
        sys.exit("No generated residence: run `manage.py seed_demo --scale 3` first.")
    owner = (
        Membership.objects.filter(
            residence=residence, role=Role.OWNER, status=MembershipStatus.ACTIVE
        )
        .select_related("user")
        .first()
        .user
    )
    manager = residence.syndic.employees.first()
    anonymous, member = Client(), Client()
    member.force_login(owner)
    pages = [
        ("healthz", anonymous, "/healthz/"),
        ("login", anonymous, "/accounts/login/"),
        ("dashboard (owner)", member, f"/r/{residence.slug}/"),
    ]
    if manager is not None:
        staff = Client()
        staff.force_login(manager.user)
        pages.append(("members (syndic)", staff, f"/r/{residence.slug}/members/"))
    results = [(name, *measure(c, url, args.requests)) for name, c, url in pages]
    base = results[0][1]
    print(f"{'page':24} {'median ms':>10} {'x healthz':>10} {'queries':>8}")
    for name, median, queries in results:
        print(f"{name:24} {median * 1000:10.2f} {median / base:10.1f} {queries:8}")


if __name__ == "__main__":
    main()
