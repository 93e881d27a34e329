"""Browser tests: Playwright driving Debian's Chromium against the live test server.

They skip, with the reason shown, where /usr/bin/chromium is missing (CI installs it);
Playwright's own downloaded browsers are never used.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
