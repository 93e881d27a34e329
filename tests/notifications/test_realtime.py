"""Real-time notifications: Redis pub/sub to a server-sent events stream, polling
otherwise. Tests that need a real Redis skip (with the reason shown) without
REDIS_URL; they use database 5 and a channel prefix of their own."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from notifications import realtime, services
from notifications.models import Notification
from residents.models import Category, CommunicationPreference, Role

from ..conftest import PERSONAS, login, requires_redis
from ..factories import make_user

pytestmark = pytest.mark.django_db

STREAM = "/notifications/stream/"


def _closed_port_url() -> str:
    """A Redis URL on a loopback port where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/5"


@pytest.fixture
def redis_client(settings):
    """Real-time on, against a real Redis (database 5, a prefix of this test's own):
    returns a plain client to listen with."""
    import redis

    url = urlsplit(os.environ["REDIS_URL"])._replace(path="/5").geturl()
    settings.REDIS_URL = url
    settings.COPRO_REALTIME_CHANNEL_PREFIX = f"test-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(url)
    yield client
    client.close()


def _subscribers(client, user) -> int:
    channel = realtime.channel(user.pk)
    return dict(client.pubsub_numsub(channel)).get(channel.encode(), 0)


def _wait_for(predicate, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _drain(pubsub, seconds: float = 1.0) -> list[dict]:
    """Every message that arrives until the channel has been quiet for `seconds`."""
    messages, quiet_until = [], time.monotonic() + seconds
    while time.monotonic() < quiet_until:
        # None also stands for an (ignored) subscription confirmation.
        message = pubsub.get_message(timeout=0.05)
        if message is not None:
            messages.append(message)
            quiet_until = time.monotonic() + seconds
    return messages


async def _open(client, method: str = "get"):
    """Request the stream; for a stream, read its first chunk and hang up."""
    response = await getattr(client, method)(STREAM)
    first = b""
    if response.streaming:
        chunks = response.streaming_content
        first = await anext(chunks)
        await chunks.aclose()
    return response, first


# --- publish() ---


def test_publish_is_a_no_op_without_redis(settings):
    settings.REDIS_URL = ""
    person = make_user()
    assert realtime.publish([person.pk], {"event": "x"}) == 0


def test_publish_never_raises_when_redis_is_down(settings, caplog):
    """The notification is saved and the page keeps polling: a warning, no error."""
    settings.REDIS_URL = _closed_port_url()
    with caplog.at_level(logging.WARNING, logger="notifications.realtime"):
        assert realtime.publish([1, 2], {"event": "x"}) == 0
    assert "Real-time publish failed" in caplog.text


def test_fan_out_works_without_redis(settings, django_capture_on_commit_callbacks):
    settings.REDIS_URL = _closed_port_url()
    person = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            recipients=[person],
            category=Category.MEMBERSHIP,
            template="membership_accepted",
            context={"residence": "Les Tilleuls", "role": Role.OWNER},
        )
    assert Notification.objects.filter(recipient=person).count() == 1


@requires_redis
def test_fan_out_publishes_once_per_in_app_recipient(
    redis_client, django_capture_on_commit_callbacks
):
    """Pipelined, after commit: one message for each person with an entry in their
    notification centre; none for who chose not to, an inactive account or a
    bystander."""
    shown, hidden, inactive, bystander = (
        make_user(),
        make_user(),
        make_user(is_active=False),
        make_user(),
    )
    CommunicationPreference.objects.create(
        user=hidden, category=Category.MEMBERSHIP, email=True, sms=False, in_app=False
    )
    listener = redis_client.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(
        *[realtime.channel(u.pk) for u in (shown, hidden, inactive, bystander)]
    )
    with django_capture_on_commit_callbacks(execute=True):
        event = services.notify(
            recipients=[shown, hidden, inactive],
            category=Category.MEMBERSHIP,
            template="membership_accepted",
            context={"residence": "Les Tilleuls", "role": Role.OWNER},
        )
    messages = _drain(listener)
    listener.close()
    assert [(m["channel"].decode(), json.loads(m["data"])) for m in messages] == [
        (
            realtime.channel(shown.pk),
            {"event": str(event), "category": "membership", "urgent": False},
        )
    ]


# --- the stream view ---

GET_WITH_REDIS = [403, 200, 200, 200, 200, 200, 200, 200, 200]
GET_WITHOUT_REDIS = [403, 204, 204, 204, 204, 204, 204, 204, 204]
POST = [405] * 9


@requires_redis
@pytest.mark.parametrize(
    ("persona", "expected"), list(zip(PERSONAS, GET_WITH_REDIS, strict=True))
)
def test_stream_matrix_with_redis(world, async_client, redis_client, persona, expected):
    login(async_client, world.user(persona))
    response, first = async_to_sync(_open)(async_client)
    assert response.status_code == expected
    if expected == 200:
        assert first == b"retry: 10000\n\n"


@pytest.mark.parametrize(
    ("persona", "expected"), list(zip(PERSONAS, GET_WITHOUT_REDIS, strict=True))
)
def test_stream_matrix_without_redis(world, async_client, settings, persona, expected):
    """204: EventSource stops trying, and the badge goes on polling."""
    settings.REDIS_URL = ""
    login(async_client, world.user(persona))
    response, _first = async_to_sync(_open)(async_client)
    assert response.status_code == expected
    assert not response.streaming


@pytest.mark.parametrize(
    ("persona", "expected"), list(zip(PERSONAS, POST, strict=True))
)
def test_stream_matrix_post(world, async_client, settings, persona, expected):
    settings.REDIS_URL = _closed_port_url()
    login(async_client, world.user(persona))
    response, _first = async_to_sync(_open)(async_client, "post")
    assert response.status_code == expected


def test_anonymous_gets_403_not_a_login_redirect(async_client, settings):
    settings.REDIS_URL = _closed_port_url()
    response, _first = async_to_sync(_open)(async_client)
    assert response.status_code == 403
    assert "Location" not in response


def test_under_wsgi_the_stream_is_refused_with_204(client, settings):
    """A WSGI worker would be held, and the stream buffered: never stream there."""
    settings.REDIS_URL = _closed_port_url()
    client.force_login(make_user())
    response = client.get(STREAM)
    assert response.status_code == 204


def test_redis_down_answers_503_at_once(async_client, settings, caplog):
    settings.REDIS_URL = _closed_port_url()
    async_client.force_login(make_user())
    with caplog.at_level(logging.WARNING, logger="notifications.views"):
        response, _first = async_to_sync(_open)(async_client)
    assert response.status_code == 503
    assert "Real-time stream unavailable" in caplog.text


@requires_redis
def test_stream_sends_the_persons_events_and_no_one_elses(
    async_client, redis_client, django_assert_max_num_queries
):
    me, neighbour = make_user(), make_user()
    async_client.force_login(me)

    async def scenario():
        response = await async_client.get(STREAM)
        chunks = response.streaming_content
        first = await anext(chunks)
        # Subscribed before the first line: nothing published now can be missed.
        realtime.publish([neighbour.pk], {"event": "not-mine"})
        realtime.publish([me.pk], {"event": "mine"})
        second = await asyncio.wait_for(anext(chunks), 5)
        await chunks.aclose()
        return response, first, second

    # 1: the session, 2: the user (for the middleware), 3: the user again (the view's
    # async authentication); none while streaming
    with django_assert_max_num_queries(3):
        response, first, second = async_to_sync(scenario)()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    assert response["X-Accel-Buffering"] == "no"
    assert first == b"retry: 10000\n\n"
    # The neighbour's message went first: had it reached this stream, it would be here.
    assert second == b'event: notification\ndata: {"event":"mine"}\n\n'
    assert _wait_for(lambda: _subscribers(redis_client, me) == 0)


@requires_redis
def test_stream_pings_when_quiet_and_ends_itself(async_client, redis_client, settings):
    """A comment keeps proxies from closing a quiet stream; the stream ends on its own
    (the browser reconnects) and unsubscribes."""
    settings.COPRO_REALTIME_PING_SECONDS = 0.3
    settings.COPRO_REALTIME_STREAM_SECONDS = 1.2
    me = make_user()
    async_client.force_login(me)

    async def scenario():
        response = await async_client.get(STREAM)
        started = time.monotonic()
        chunks = [chunk async for chunk in response.streaming_content]
        return chunks, time.monotonic() - started

    chunks, lasted = async_to_sync(scenario)()
    assert chunks[0] == b"retry: 10000\n\n"
    assert set(chunks[1:]) == {b": ping\n\n"}
    assert 3 <= len(chunks) - 1 <= 4
    assert 1.0 <= lasted < 3
    assert _subscribers(redis_client, me) == 0


def _other_database_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@requires_redis
@pytest.mark.django_db(transaction=True)
def test_a_hung_up_client_is_unsubscribed_and_no_database_connection_is_held(
    redis_client,
):
    """Through the real ASGI application: while the stream is open it holds a Redis
    subscription but no database connection; when the client goes away the server
    cancels the stream, which unsubscribes."""
    from copro.asgi import application

    me = make_user()
    browser = Client()
    browser.force_login(me)
    name = settings.SESSION_COOKIE_NAME
    cookie = f"{name}={browser.cookies[name].value}"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": STREAM,
        "raw_path": STREAM.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    before = _other_database_connections()
    # The server runs in a thread and event loop of its own, as uvicorn would: its
    # synchronous parts (middleware, session) then use a database connection of their
    # own, not this test's.
    streaming, hung_up = threading.Event(), threading.Event()
    sent = []

    async def serve():
        requested = False

        async def receive():
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            while not hung_up.is_set():
                await asyncio.sleep(0.02)
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)
            if message["type"] == "http.response.body" and message.get("body"):
                streaming.set()

        await application(scope, receive, send)

    server = threading.Thread(target=asyncio.run, args=(serve(),))
    server.start()
    try:
        assert streaming.wait(10), sent
        during = {
            "subscribers": _subscribers(redis_client, me),
            "database": _other_database_connections(),
        }
    finally:
        hung_up.set()
        server.join(10)
    assert not server.is_alive()
    assert sent[0]["status"] == 200
    assert (b"Content-Type", b"text/event-stream") in sent[0]["headers"]
    assert sent[1]["body"] == b"retry: 10000\n\n"
    assert during == {"subscribers": 1, "database": before}
    assert _wait_for(lambda: _subscribers(redis_client, me) == 0)


# --- the badge ---


def _notifications(person, count: int) -> None:
    Notification.objects.bulk_create(
        Notification(
            recipient=person,
            category=Category.NEWS,
            title=f"Annonce {n}",
            event=uuid.uuid4(),
        )
        for n in range(count)
    )


@pytest.mark.parametrize("rows", [1, 25])
def test_badge_offers_the_stream_under_asgi_with_redis(
    async_client, settings, django_assert_max_num_queries, rows
):
    """data-stream, and htmx polls only as a safety net; no extra query for it."""
    settings.REDIS_URL = _closed_port_url()
    person = make_user()
    _notifications(person, rows)
    async_client.force_login(person)
    # 1: session, 2: user, 3: latest unread, 4: unread count
    with django_assert_max_num_queries(4):
        response = async_to_sync(async_client.get)(reverse("notifications:badge"))
    html = response.content.decode()
    assert f'data-count="{rows}"' in html
    assert f'data-stream="{STREAM}"' in html
    assert 'hx-trigger="every 120s, copro:refresh from:body"' in html


@pytest.mark.parametrize("rows", [1, 25])
def test_badge_polls_every_30s_without_redis(
    async_client, settings, django_assert_max_num_queries, rows
):
    settings.REDIS_URL = ""
    person = make_user()
    _notifications(person, rows)
    async_client.force_login(person)
    with django_assert_max_num_queries(4):
        response = async_to_sync(async_client.get)(reverse("notifications:badge"))
    html = response.content.decode()
    assert f'data-count="{rows}"' in html
    assert "data-stream" not in html
    assert 'hx-trigger="every 30s, copro:refresh from:body"' in html


def test_badge_polls_every_30s_under_wsgi(client, settings):
    settings.REDIS_URL = _closed_port_url()
    person = make_user()
    client.force_login(person)
    html = client.get(reverse("notifications:badge")).content.decode()
    assert "data-stream" not in html
    assert 'hx-trigger="every 30s, copro:refresh from:body"' in html


def test_every_page_header_carries_the_stream(world, async_client, settings):
    settings.REDIS_URL = _closed_port_url()
    login(async_client, world.user("owner"))
    response = async_to_sync(async_client.get)(
        reverse("residents:dashboard", args=[world.home.slug])
    )
    assert response.status_code == 200
    assert f'data-stream="{STREAM}"' in response.content.decode()
