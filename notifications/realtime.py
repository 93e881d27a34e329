"""Real-time notifications: Redis pub/sub in, server-sent events out.

    publish(user_ids, {"event": …})   # from the fan-out task, once the entries exist

Each signed-in page served over ASGI opens one `EventSource` on the stream view, which
subscribes to the person's own channel (`<prefix>:notify:<user id>`). A message only
says "something arrived": the page then re-fetches its badge, which reads the database
with the usual access rules, so nothing private travels through Redis.

Without REDIS_URL (or when Redis is down, or the page came through WSGI) nothing here
runs and the badge keeps polling every 30 s.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import AsyncIterator, Iterable

import redis
import redis.asyncio
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest
from django.urls import reverse

logger = logging.getLogger(__name__)

# How long the browser waits before reconnecting after the stream ends (milliseconds).
RETRY_MS = 10_000
_TIMEOUTS = {"socket_connect_timeout": 2, "socket_timeout": 2}


def enabled() -> bool:
    return bool(settings.REDIS_URL)


def channel(user_id: int) -> str:
    # Pub/sub channels ignore Redis database numbers: the prefix keeps deployments
    # (and test runs) that share a server apart.
    return f"{settings.COPRO_REALTIME_CHANNEL_PREFIX}:notify:{user_id}"


@functools.cache
def _client(url: str) -> redis.Redis:
    """One thread-safe client (and connection pool) per URL and process."""
    return redis.Redis.from_url(url, **_TIMEOUTS)


def publish(user_ids: Iterable[int], payload: dict) -> int:
    """Tell each of `user_ids`' open pages that a notification arrived; return how
    many messages went out. Never raises: without Redis the pages still poll."""
    user_ids = list(user_ids)
    if not enabled() or not user_ids:
        return 0
    message = json.dumps(payload, separators=(",", ":"))
    try:
        with _client(settings.REDIS_URL).pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.publish(channel(user_id), message)
            pipe.execute()
    except (redis.RedisError, OSError) as exc:
        logger.warning("Real-time publish failed (pages fall back to polling): %s", exc)
        return 0
    return len(user_ids)


def stream_url(request: HttpRequest) -> str:
    """The stream's address when this page can use it, else "".

    Only under ASGI: a WSGI worker would be held (and the stream buffered) for as
    long as the page stays open."""
    if enabled() and isinstance(request, ASGIRequest):
        return reverse("notifications:stream")
    return ""


def context(request: HttpRequest) -> dict:
    """Template context processor: the header badge's `data-stream` (no query)."""
    return {"notification_stream_url": stream_url(request)}


def release_database() -> None:
    """A stream lasts minutes and never touches the database after its first lines:
    give the request's connection back now instead of when the response closes.

    A connection inside an atomic block (a test's transaction; requests never have
    one here, ATOMIC_REQUESTS is off) is left alone."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


async def subscribe(user_id: int) -> AsyncIterator[str]:
    """Subscribe to the person's channel now (so that the caller learns at once if
    Redis is unreachable) and return the event stream to send. Raises RedisError or
    OSError when Redis cannot be reached."""
    client = redis.asyncio.Redis.from_url(settings.REDIS_URL, **_TIMEOUTS)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe(channel(user_id))
    except BaseException:
        await pubsub.aclose()
        await client.aclose()
        raise
    return _events(client, pubsub)


async def _events(client, pubsub) -> AsyncIterator[str]:
    """`retry`, then one `notification` event per message and a comment when quiet
    (proxies close idle connections); ends after COPRO_REALTIME_STREAM_SECONDS, and
    the browser reconnects. Unsubscribes on every way out, disconnects included
    (the server cancels us with CancelledError)."""
    loop = asyncio.get_running_loop()
    ping = settings.COPRO_REALTIME_PING_SECONDS
    deadline = loop.time() + settings.COPRO_REALTIME_STREAM_SECONDS
    try:
        yield f"retry: {RETRY_MS}\n\n"
        last_sent = loop.time()
        while (now := loop.time()) < deadline:
            wait = max(0.0, min(deadline - now, last_sent + ping - now))
            message = await pubsub.get_message(
                ignore_subscribe_messages=True, timeout=wait
            )
            if message is not None:
                data = message["data"]
                data = data.decode() if isinstance(data, bytes) else str(data)
                data = "\ndata: ".join(data.splitlines())  # one field per line
                yield f"event: notification\ndata: {data}\n\n"
                last_sent = loop.time()
            elif loop.time() - last_sent >= ping:
                yield ": ping\n\n"
                last_sent = loop.time()
    except (redis.RedisError, OSError) as exc:
        # Ends the response; the browser reconnects after RETRY_MS.
        logger.warning("Real-time stream lost Redis: %s", exc)
    finally:
        try:
            await pubsub.aclose()
            await client.aclose()
        except (redis.RedisError, OSError):
            pass
