"""Browser tests: Playwright driving Debian's Chromium against the live test server.

They skip, with the reason shown, where /usr/bin/chromium is missing (CI installs it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip(
            "Chromium not installed at /usr/bin/chromium (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to
    # run in a thread with a running loop unless told it is safe (one thread here).
    # Only for the browser tests: it must not leak into other tests' subprocesses.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _page(request, chromium, live_server, **options):
    context = chromium.new_context(
        base_url=live_server.url, **VIEWPORTS[request.param], **options
    )
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda message: (
            message.type == "error" and page.console_errors.append(message.text)
        ),
    )
    page.size_name = request.param
    return context, page


@pytest.fixture(params=list(VIEWPORTS))
def web(request, chromium, live_server):
    """A fresh browser page at a desktop or a phone size, with console errors kept."""
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
