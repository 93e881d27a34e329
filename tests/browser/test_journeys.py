"""The journeys a person makes in a real browser, on a desktop and on a phone.

Every test runs twice (the `web` fixture): 1280×800 with a mouse, and 390×844 with
touch, where taps replace clicks. Assertions use URLs, roles, ids and attributes, not
translated text.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from residents.models import Role

from ..factories import PASSWORD, make_member, make_residence, make_user

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = re.compile(r"/accounts/login/(\?.*)?$")
TRANSPARENT = ("rgba(0, 0, 0, 0)", "transparent")


def dashboard(residence) -> re.Pattern:
    return re.compile(rf"/r/{residence.slug}/$")


def activate(page, locator) -> None:
    """Click on a desktop, tap on a phone."""
    if page.size_name == "phone":
        locator.tap()
    else:
        locator.click()


def sign_in(page, email: str, password: str = PASSWORD, *, goto: bool = True) -> None:
    """Fill allauth's login form and submit it (from the login page already open
    when `goto` is false, e.g. after a redirect that carries ?next=)."""
    if goto:
        page.goto("/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    # Wait for the answer (a redirect, or the form again): acting on the page sooner
    # would race the login request.
    with page.expect_navigation():
        activate(page, page.locator("form:has(#id_password) button[type=submit]"))


def open_menu(page, name: str):
    """Open the header's <details class="menu {name}"> and return its list."""
    menu = page.locator(f"details.menu.{name}")
    activate(page, menu.locator("> summary"))
    expect(menu).to_have_attribute("open", "")
    expect(menu.locator("ul")).to_be_visible()
    return menu.locator("ul")


def csp_violations(page) -> list[str]:
    """What the page reported through `securitypolicyviolation` (see conftest)."""
    return page.evaluate("window.__cspViolations || []")


def assert_within_viewport(page, locator) -> None:
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (
        f"{locator} spans {box['x']:.0f}..{box['x'] + box['width']:.0f}px "
        f"on a {width}px wide screen"
    )


def test_login_journey(web):
    """Anonymous → login page in French → dashboard of the residence → sign out."""
    residence = make_residence(name="Les Tilleuls")
    person = make_user(first_name="Camille", last_name="Martin")
    make_member(residence, Role.OWNER, user=person, lots=[residence.lots.first()])

    web.goto("/")
    expect(web).to_have_url(LOGIN)
    expect(web.locator("html")).to_have_attribute("lang", "fr")

    sign_in(web, person.email, goto=False)
    expect(web).to_have_url(dashboard(residence))
    expect(web.locator("h1")).to_have_text("Les Tilleuls")
    expect(web.locator("html")).to_have_attribute("lang", "fr")

    user_menu = web.locator("details.user-menu")
    expect(user_menu.locator("> summary")).to_have_text("Camille Martin")
    menu = open_menu(web, "user-menu")
    activate(web, menu.locator("a[href='/accounts/logout/']"))
    expect(web).to_have_url(re.compile(r"/accounts/logout/$"))
    activate(web, web.locator("main form button[type=submit]"))  # confirm

    expect(web).to_have_url(LOGIN)
    expect(web.locator("#id_login")).to_be_visible()
    expect(user_menu).to_have_count(0)
    web.goto(f"/r/{residence.slug}/")  # signed out for real
    expect(web).to_have_url(LOGIN)
    assert web.console_errors == []


def test_wrong_password_and_unknown_email_look_the_same(web):
    """A failed login shows an error and stays put; it does not reveal whether the
    address has an account."""
    residence = make_residence()
    member = make_member(residence, Role.OWNER)
    errors = web.locator("form:has(#id_password) .errorlist")

    sign_in(web, member.user.email, "not-the-password")
    expect(errors).to_be_visible()
    expect(web).to_have_url(LOGIN)
    expect(web.locator("#id_password")).to_have_value("")
    wrong_password = errors.inner_text()
    assert wrong_password.strip()

    sign_in(web, "nobody@example.org", "not-the-password")
    expect(errors).to_be_visible()
    expect(web).to_have_url(LOGIN)
    expect(errors).to_have_text(wrong_password)
    expect(web.locator("details.user-menu")).to_have_count(0)
    assert web.console_errors == []


def _two_residences():
    """A person who owns a lot in one residence and sits on the other's council."""
    tilleuls = make_residence(name="Les Tilleuls")
    vignes = make_residence(name="Le Clos des Vignes")
    person = make_user()
    make_member(tilleuls, Role.OWNER, user=person, lots=[tilleuls.lots.first()])
    make_member(vignes, Role.COUNCIL_MEMBER, user=person)
    return person, tilleuls, vignes


def test_residence_switcher(web):
    """A person in two residences moves between them with the header's switcher."""
    person, tilleuls, vignes = _two_residences()

    sign_in(web, person.email)
    expect(web).to_have_url(dashboard(vignes))  # no last residence: first by name
    expect(web.locator("h1")).to_have_text("Le Clos des Vignes")
    summary = web.locator("details.switcher > summary")
    expect(summary).to_contain_text("Le Clos des Vignes")

    menu = open_menu(web, "switcher")
    expect(menu.get_by_role("link")).to_have_count(2)
    expect(menu.get_by_role("link", name="Le Clos des Vignes")).to_have_attribute(
        "aria-current", "true"
    )
    activate(web, menu.get_by_role("link", name="Les Tilleuls"))

    expect(web).to_have_url(dashboard(tilleuls))
    expect(web.locator("h1")).to_have_text("Les Tilleuls")
    expect(summary).to_contain_text("Les Tilleuls")
    expect(summary).not_to_contain_text("Le Clos des Vignes")
    # The council-only section link follows the role in the current residence.
    members_link = web.locator(f"nav.sections a[href='/r/{tilleuls.slug}/members/']")
    expect(members_link).to_have_count(0)

    web.goto("/")  # home remembers the last residence
    expect(web).to_have_url(dashboard(tilleuls))
    assert web.console_errors == []


def test_residence_switcher_with_the_keyboard(web):
    """Tab reaches the switcher, Enter opens it, Escape closes it and gives the focus
    back, and a residence can be chosen without a pointer."""
    person, tilleuls, vignes = _two_residences()
    sign_in(web, person.email)
    expect(web).to_have_url(dashboard(vignes))

    menu = web.locator("details.switcher")
    summary = menu.locator("> summary")
    for _presses in range(4):  # skip link, brand, then the switcher
        web.keyboard.press("Tab")
        if summary.evaluate("element => element === document.activeElement"):
            break
    expect(summary).to_be_focused()

    web.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    expect(menu.locator("ul")).to_be_visible()
    web.keyboard.press("Escape")  # static/js/app.js
    expect(menu).not_to_have_attribute("open", "")
    expect(menu.locator("ul")).to_be_hidden()
    expect(summary).to_be_focused()

    web.keyboard.press("Enter")
    expect(menu.locator("ul")).to_be_visible()
    web.keyboard.press("Tab")
    web.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Les Tilleuls")).to_be_focused()
    web.keyboard.press("Enter")
    expect(web).to_have_url(dashboard(tilleuls))
    expect(web.locator("details.switcher > summary")).to_contain_text("Les Tilleuls")
    assert web.console_errors == []


def test_dashboard_renders_with_its_styles_and_no_csp_violation(web):
    """The dashboard is styled, sends a CSP, breaks none of it, and fits the screen
    with its menus open. Screenshots are left in /tmp for a person to look at."""
    residence = make_residence(name="Résidence Les Jardins de la Croix-Rousse")
    other = make_residence(name="Le Clos des Vignes")  # fills the switcher
    person = make_user(first_name="Marie-Bernadette", last_name="de La Tour-Dupin")
    make_member(
        residence, Role.COUNCIL_PRESIDENT, user=person, lots=[residence.lots.first()]
    )
    make_member(other, Role.OWNER, user=person)
    make_member(residence, Role.OWNER, status="pending")  # shows the requests card
    sign_in(web, person.email)
    expect(web).to_have_url(dashboard(other))  # first by name

    response = web.goto(f"/r/{residence.slug}/")
    assert response.ok
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    expect(web.locator("h1")).to_have_text(residence.name)

    # The stylesheet arrived and applies (served by the live server, CSP-allowed).
    background = web.locator("header.site-header").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    assert background not in TRANSPARENT
    # Nothing is wider than the screen (no sideways scrolling on a phone).
    overflow = web.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0

    shots = Path(tempfile.gettempdir())  # not asserted: for a person to look at
    web.screenshot(path=shots / f"copro-dashboard-{web.size_name}.png", full_page=True)

    # Open menus stay on screen, and a click or tap elsewhere closes them (app.js).
    # (On a phone the header wraps and the open switcher covers the user menu's
    # button, as any drop-down covers what lies below it: close it first.)
    for name in ("switcher", "user-menu"):
        web.evaluate("window.scrollTo(0, 0)")
        assert_within_viewport(web, open_menu(web, name))
        web.screenshot(path=shots / f"copro-dashboard-{web.size_name}-{name}.png")
        activate(web, web.locator("footer.site-footer p"))
        expect(web.locator(f"details.menu.{name}")).not_to_have_attribute("open", "")

    assert csp_violations(web) == []
    assert not [e for e in web.console_errors if "Content Security Policy" in e]
    assert not [e for e in web.console_errors if "Refused to" in e]
    assert web.console_errors == []


def test_the_csp_check_can_fail(web):
    """The CSP assertions above are not vacuous: an inline script is refused, and the
    refusal is seen both as a violation event and as a console error."""
    residence = make_residence(name="Les Tilleuls")
    member = make_member(residence, Role.OWNER)
    sign_in(web, member.user.email)
    expect(web).to_have_url(dashboard(residence))

    with web.expect_console_message(
        lambda message: (
            message.type == "error" and "Content Security Policy" in message.text
        )
    ) as refused:
        web.evaluate(
            """() => {
              const script = document.createElement("script");
              script.textContent = "window.inlineScriptRan = true";
              document.body.append(script);
            }"""
        )
    # Chromium once said "Refused to execute…", now "Executing inline script
    # violates…": the dashboard test looks for both wordings.
    assert "script-src" in refused.value.text
    web.wait_for_function("window.__cspViolations.length > 0")
    assert any(v.startswith("script-src") for v in csp_violations(web))
    assert web.evaluate("window.inlineScriptRan") is None


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
    # The toast's words are translated; the residence's name is not.
    expect(web.locator("#toasts .toast")).to_contain_text("Les Tilleuls")
    assert web.url.endswith(f"/r/{residence.slug}/")  # no reload, no navigation
    assert web.console_errors == []
