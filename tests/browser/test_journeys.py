"""The journeys a person makes in a real browser, on a desktop and on a phone."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from residents.models import Role

from ..factories import PASSWORD, make_member, make_residence, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").first.click()


def open_menu(page, selector: str) -> None:
    page.locator(f"{selector} > summary").click()
    expect(page.locator(f"{selector} ul")).to_be_visible()


def test_login_journey(web):
    """Anonymous → login page in French → dashboard of the residence → sign out."""
    residence = make_residence(name="Les Tilleuls")
    member = make_member(residence, Role.OWNER, lots=[residence.lots.first()])

    web.goto("/")
    expect(web).to_have_url(re.compile(r"/accounts/login/"))
    assert web.locator("html").get_attribute("lang") == "fr"

    sign_in(web, member.user.email)
    expect(web).to_have_url(re.compile(rf"/r/{residence.slug}/$"))
    expect(web.locator("h1")).to_have_text("Les Tilleuls")

    open_menu(web, "details.user-menu")
    web.locator("details.user-menu a[href='/accounts/logout/']").click()
    web.locator("main form button[type=submit]").click()
    expect(web).to_have_url(re.compile(r"/accounts/login/"))
    web.goto(f"/r/{residence.slug}/")
    expect(web).to_have_url(re.compile(r"/accounts/login/"))
    assert web.console_errors == []


def test_wrong_password_and_unknown_email_look_the_same(web):
    residence = make_residence()
    member = make_member(residence, Role.OWNER)

    sign_in(web, member.user.email, "not-the-password")
    expect(web).to_have_url(re.compile(r"/accounts/login/"))
    wrong_password = web.locator("main form").inner_text()

    sign_in(web, "nobody@example.org", "not-the-password")
    expect(web).to_have_url(re.compile(r"/accounts/login/"))
    unknown_email = web.locator("main form").inner_text()
    assert wrong_password.replace(member.user.email, "") == unknown_email.replace(
        "nobody@example.org", ""
    )


def test_residence_switcher(web):
    """A person in two residences switches with the header menu, mouse or keyboard."""
    first = make_residence(name="Les Tilleuls")
    second = make_residence(name="Le Clos des Vignes")
    person = make_user()
    make_member(first, Role.OWNER, user=person, lots=[first.lots.first()])
    make_member(second, Role.COUNCIL_MEMBER, user=person)

    sign_in(web, person.email)
    expect(web.locator("h1")).to_have_text("Le Clos des Vignes")  # first by name
    switcher = web.locator("details.switcher > summary")
    expect(switcher).to_contain_text("Le Clos des Vignes")

    open_menu(web, "details.switcher")
    web.get_by_role("link", name="Les Tilleuls").click()
    expect(web).to_have_url(re.compile(rf"/r/{first.slug}/$"))
    expect(web.locator("h1")).to_have_text("Les Tilleuls")
    expect(switcher).to_contain_text("Les Tilleuls")

    # Keyboard: focus the switcher, open it with Enter, close it with Escape.
    switcher.focus()
    web.keyboard.press("Enter")
    expect(web.locator("details.switcher ul")).to_be_visible()
    web.keyboard.press("Escape")
    expect(web.locator("details.switcher ul")).to_be_hidden()
    expect(switcher).to_be_focused()
    web.keyboard.press("Enter")
    web.keyboard.press("Tab")
    web.keyboard.press("Enter")
    expect(web).to_have_url(re.compile(rf"/r/{second.slug}/$"))
    assert web.console_errors == []


def test_dashboard_renders_with_its_styles_and_no_csp_violation(web):
    residence = make_residence(name="Les Tilleuls")
    member = make_member(
        residence, Role.COUNCIL_PRESIDENT, lots=[residence.lots.first()]
    )
    sign_in(web, member.user.email)
    expect(web.locator("h1")).to_have_text("Les Tilleuls")
    background = web.locator("header.site-header").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    # Nothing is wider than the screen (no horizontal scrolling on a phone).
    overflow = web.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    shots = Path(tempfile.gettempdir())  # for a person to look at; not asserted
    web.screenshot(path=shots / f"copro-dashboard-{web.size_name}.png", full_page=True)
    assert not [e for e in web.console_errors if "Content Security Policy" in e]
    assert web.console_errors == []


def test_a_new_notification_appears_without_reload(
    web, django_capture_on_commit_callbacks
):
    """The badge refreshes by itself (htmx polling) and a toast names the news."""
    from notifications.services import notify
    from residents.models import Category

    residence = make_residence(name="Les Tilleuls")
    member = make_member(residence, Role.OWNER, lots=[residence.lots.first()])
    sign_in(web, member.user.email)
    expect(web.locator("h1")).to_have_text("Les Tilleuls")
    expect(web.locator("#notification-badge .badge")).to_be_hidden()

    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients=[member.user],
            category=Category.MEMBERSHIP,
            template="membership_accepted",
            context={"residence": "Les Tilleuls", "role": "owner"},
        )
    # What the 30-second poll does, now rather than later:
    web.evaluate("document.body.dispatchEvent(new Event('copro:refresh'))")
    expect(web.locator("#notification-badge .badge")).to_contain_text("1")
    expect(web.locator("#toasts .toast")).to_have_text("Bienvenue à Les Tilleuls")
    assert web.url.endswith(f"/r/{residence.slug}/")  # no reload, no navigation
    assert web.console_errors == []
