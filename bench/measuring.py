"""Shared by the benchmarks: time a page through Django's test client, in process,
and read its SQL query count from the Server-Timing header."""

from __future__ import annotations

import re
import statistics
import time

TIMING = re.compile(r'desc="(\d+) queries"')


def get(client, url: str) -> tuple[float, int]:
    start = time.perf_counter()
    response = client.get(url, HTTP_HOST="127.0.0.1")
    duration = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return duration, int(TIMING.search(response["Server-Timing"]).group(1))


def measure(client, url: str, requests: int) -> tuple[list[float], int]:
    get(client, url)  # warm caches (templates, plans, pages of the table)
    durations, queries = [], 0
    for _ in range(requests):
        duration, queries = get(client, url)
        durations.append(duration)
    return durations, queries


def p95(durations: list[float]) -> float:
    return statistics.quantiles(durations, n=20, method="inclusive")[18]
