"""A real Celery worker and a real Redis: a notification queued while no worker runs is
delivered, once, when one starts. Skipped (with the reason shown) without REDIS_URL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from kombu import pools

from copro.celery import app as celery_app
from notifications import services
from notifications.models import Delivery, DeliveryStatus, Notification
from residents.models import Category, Role

from ..conftest import requires_redis
from ..factories import make_user

pytestmark = [
    requires_redis,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def _forget_connections() -> None:
    """Drop pooled broker connections so the next publish uses the current URL."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    # Kombu keeps its own pools too: a closed one would fail every later publish.
    pools.reset()


@pytest.fixture
def broker():
    """Send tasks to Redis, in a database of this test's own (emptied before/after)."""
    import redis

    url = urlsplit(os.environ["REDIS_URL"])._replace(path="/15").geturl()
    redis.Redis.from_url(url).flushdb()
    saved = {k: celery_app.conf.get(k) for k in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=url)
    _forget_connections()
    yield url
    celery_app.conf.update(saved)
    _forget_connections()
    redis.Redis.from_url(url).flushdb()


def _start_worker(broker_url: str, mail_dir: Path, log: Path) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}"
        f"/{db['NAME']}",
        "EMAIL_URL": f"filemail:///{mail_dir}",
        "SMS_BACKEND": "copro.lib.sms.ConsoleBackend",
        "REDIS_URL": broker_url,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen(  # noqa: S603 (our own interpreter and app)
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "copro",
            "worker",
            "--pool",
            "solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log, "w"),  # noqa: SIM115 (closed with the process)
    )


def _wait_for(predicate, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres://"),
    reason="the worker reaches the test database over TCP (DATABASE_URL)",
)
def test_queued_while_stopped_is_delivered_once_the_worker_starts(broker, tmp_path):
    person = make_user()
    services.notify(
        recipients=[person],
        category=Category.MEMBERSHIP,
        template="membership_accepted",
        context={"residence": "Les Tilleuls", "role": Role.OWNER},
    )
    time.sleep(1)
    assert not Notification.objects.exists()  # nobody has picked the task up yet

    mails, log = tmp_path / "mails", tmp_path / "worker.log"
    mails.mkdir()
    worker = _start_worker(broker, mails, log)
    try:
        assert _wait_for(
            lambda: Delivery.objects.filter(status=DeliveryStatus.SENT).exists()
        ), f"the worker did not deliver within 60 s:\n{log.read_text()[-3000:]}"
        time.sleep(1)  # a duplicate, if any, would arrive now
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert Notification.objects.filter(recipient=person).count() == 1
    assert Delivery.objects.get().attempts == 1
    assert len(list(mails.iterdir())) == 1  # one email written by the worker
