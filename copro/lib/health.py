"""GET /healthz/: the cheapest page of the site, one trivial query."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "down"
    return "ok"


def _broker_state() -> str:
    if not settings.REDIS_URL:
        return "eager"  # tasks run in-process: there is no broker to be down
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        return "down"
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_state(), "broker": _broker_state()}
    status = 503 if checks["database"] != "ok" else 200
    return JsonResponse(
        {"status": "ok" if status == 200 else "down", **checks}, status=status
    )
