"""Browser tests: Playwright driving Debian's Chromium against the live test server.

They skip, with the reason shown, where /usr/bin/chromium is missing (CI installs it);
Playwright's own downloaded browsers are never used.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

CHROMIUM = Path("/usr/bin/chromium")
MISSING = "Chromium not installed at /usr/bin/chromium (apt-get install chromium)"
LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}

# Runs in every page before its own scripts (injected by the browser, so our CSP does
# not apply to it): keeps the CSP violations the page reports.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    # A conftest hook sees every collected item, not only this folder's.
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def chromium():
    """One headless Chromium for this folder's tests, closed when they are done."""
    if not CHROMIUM.exists():
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; Django's ORM
    # refuses to run in a thread with a running loop unless told it is safe (the test
    # and the browser share one thread; the live server has its own). Set only while
    # the browser is up, so that it does not leak into the rest of the suite.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=LAUNCH_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _page(request, chromium, live_server, **options):
    context = chromium.new_context(
        base_url=live_server.url,
        # An English browser: the site must still answer in French (Accept-Language
        # is deliberately ignored).
        locale="en-US",
        **VIEWPORTS[request.param],
        **options,
    )
    context.set_default_timeout(10_000)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    # Console errors (CSP refusals show here as "Refused to …") and uncaught exceptions.
    page.console_errors = []
    page.on(
        "console",
        lambda message: (
            message.type == "error" and page.console_errors.append(message.text)
        ),
    )
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.size_name = request.param
    return context, page


@pytest.fixture(params=list(VIEWPORTS))
def web(request, chromium, live_server):
    """A fresh browser page at a desktop or a phone size, with console errors kept in
    `page.console_errors` and the size's name in `page.size_name`."""
    context, page = _page(request, chromium, live_server)
    yield page
    context.close()


@pytest.fixture(params=list(VIEWPORTS))
def audited(request, chromium, live_server):
    """Like `web`, but the page accepts an injected audit script (axe-core): our
    CSP rightly refuses it otherwise."""
    context, page = _page(request, chromium, live_server, bypass_csp=True)
    yield page
    context.close()


# --- A real ASGI server (uvicorn), for what needs the real-time stream --------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1)  # noqa: S310 (our own loopback server)
    except urllib.error.HTTPError:
        return True  # it answered (e.g. 503 from /healthz/ without a worker)
    except OSError:
        return False
    return True


@pytest.fixture
def asgi_server(settings, tmp_path):
    """uvicorn serving copro.asgi on a free loopback port, sharing the test database
    and (with this process, which publishes) a Redis channel prefix of its own."""
    redis_url = urlsplit(os.environ["REDIS_URL"])._replace(path="/5").geturl()
    prefix = f"test-{uuid.uuid4().hex}"
    settings.REDIS_URL = redis_url
    settings.COPRO_REALTIME_CHANNEL_PREFIX = prefix
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}"
        f"/{db['NAME']}",
        "REDIS_URL": redis_url,
        "CACHE_PREFIX": prefix,
        "DEBUG": "1",  # static files served by the app, as under `make run`
        # Tasks run in the server's process once committed (no worker to start), and
        # its emails land in files the test reads.
        "CELERY_ALWAYS_EAGER": "1",
        # django-environ drops the path's first "/": hence four.
        "EMAIL_URL": f"filemail:///{tmp_path / 'mail'}",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    port, log = _free_port(), tmp_path / "uvicorn.log"
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and app)
        [
            sys.executable,
            "-m",
            "uvicorn",
            "copro.asgi:application",
            "--host=127.0.0.1",
            f"--port={port}",
            "--lifespan=off",
            "--log-level=warning",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log, "w"),  # noqa: SIM115 (closed with the process)
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not _answers(f"{url}/healthz/"):
        assert server.poll() is None and time.monotonic() < deadline, (
            f"uvicorn did not start:\n{log.read_text()[-3000:]}"
        )
        time.sleep(0.2)
    yield url
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def signed_in_page(chromium, base_url: str, user=None, *, size: str = "desktop"):
    """A new browser context at `base_url`, signed in as `user` (staff with their MFA
    step) or anonymous, and its page: console errors in `page.errors`, CSP
    violations in `window.__cspViolations`. Returns (context, page)."""
    from django.conf import settings
    from django.test import Client

    from ..conftest import login

    context = chromium.new_context(base_url=base_url, locale="en-US", **VIEWPORTS[size])
    context.set_default_timeout(15_000)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    if user is not None:
        client = login(Client(), user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}]
        )
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return context, page
