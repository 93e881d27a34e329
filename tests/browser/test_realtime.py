"""Real time in a real browser: a notification created while the dashboard is open
shows on its badge and in a toast within seconds, through server-sent events.

The page is served by uvicorn (as in production: ASGI) in a subprocess pointed at the
test database; the badge polls only every 120 s while the stream is up, so an update
within 5 s proves the push. Skipped without Redis (REDIS_URL) or Chromium.
"""

from __future__ import annotations

import os
import time

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from copro.celery import app as celery_app
from notifications import realtime, services
from residents.models import Category, Role

from ..conftest import requires_redis
from ..factories import make_member, make_residence, make_user
from .conftest import VIEWPORTS

pytestmark = [
    requires_redis,
    pytest.mark.redis,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres://"),
        reason="the ASGI server reaches the test database over TCP (DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]

STREAM = "/notifications/stream/"
PUSH_MS = 5_000  # far below the 120 s safety-net polling


def _subscribed(user) -> bool:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        channel = realtime.channel(user.pk)
        return dict(client.pubsub_numsub(channel)).get(channel.encode(), 0) > 0
    finally:
        client.close()


def _notify(person, residence) -> None:
    """As a feature does: notify(); its fan-out runs (eagerly) once committed."""
    services.notify(
        recipients=[person],
        residence=residence,
        category=Category.MEMBERSHIP,
        template="membership_accepted",
        context={"residence": residence.name, "role": Role.OWNER},
        url=f"/r/{residence.slug}/",
    )


def test_a_notification_reaches_the_open_page_at_once(chromium, asgi_server):
    assert celery_app.conf.task_always_eager  # the fan-out runs in this process
    residence = make_residence(name="Les Tilleuls")
    person = make_user()
    make_member(residence, Role.OWNER, user=person, lots=[residence.lots.first()])
    signed_in = Client()
    signed_in.force_login(person)
    context = chromium.new_context(
        base_url=asgi_server, locale="en-US", **VIEWPORTS["desktop"]
    )
    context.set_default_timeout(10_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": signed_in.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": asgi_server,
            }
        ]
    )
    page = context.new_page()
    errors, streams = [], []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda r: STREAM in r.url and streams.append(r.url))
    try:
        page.goto(f"/r/{residence.slug}/")
        badge = page.locator("#notification-badge")
        expect(badge).to_have_attribute("data-stream", STREAM)
        expect(badge).to_have_attribute("data-count", "0")
        expect(badge).to_have_attribute(
            "hx-trigger", "every 120s, copro:refresh from:body"
        )
        deadline = time.monotonic() + 10
        while not _subscribed(person):
            assert time.monotonic() < deadline, "the page did not open its stream"
            time.sleep(0.1)

        _notify(person, residence)
        expect(badge).to_have_attribute("data-count", "1", timeout=PUSH_MS)
        expect(badge.locator(".badge")).to_contain_text("1")
        toast = page.locator("#toasts .toast")
        expect(toast).to_have_count(1, timeout=PUSH_MS)
        expect(toast).to_have_text("Bienvenue à Les Tilleuls")

        # htmx replaced the badge (outerHTML): the page still has its one stream.
        _notify(person, residence)
        expect(badge).to_have_attribute("data-count", "2", timeout=PUSH_MS)
        expect(toast).to_have_count(2, timeout=PUSH_MS)
        assert streams == [f"{asgi_server}{STREAM}"]
        assert errors == []
    finally:
        context.close()
