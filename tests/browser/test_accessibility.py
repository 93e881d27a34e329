"""axe-core (vendored, run inside Chromium) finds no accessibility violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from residents.models import Role

from ..factories import make_member, make_residence
from .test_journeys import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})"
    )
    return [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'])})"
        for v in result["violations"]
    ]


def test_login_page(audited):
    audited.goto("/accounts/login/")
    assert violations(audited) == []


def test_dashboard_and_members(audited):
    residence = make_residence(name="Les Tilleuls")
    member = make_member(
        residence, Role.COUNCIL_PRESIDENT, lots=[residence.lots.first()]
    )
    make_member(residence, Role.OWNER, status="pending")
    sign_in(audited, member.user.email)
    audited.wait_for_url(f"**/r/{residence.slug}/")
    assert violations(audited) == []
    audited.goto(f"/r/{residence.slug}/members/")
    assert violations(audited) == []


def test_the_audit_can_fail(audited):
    """The harness is not vacuous: an unlabelled field is reported."""
    audited.goto("/accounts/login/")
    audited.evaluate(
        "document.querySelector('main').append(document.createElement('input'))"
    )
    assert any(v.startswith("label:") for v in violations(audited))


RESIDENCE_PAGES = [
    "/r/les-tilleuls/",
    "/r/les-tilleuls/news/",
    "/r/les-tilleuls/calendar/",
    "/r/les-tilleuls/calendar/2027/1/",
    "/r/les-tilleuls/documents/",
    "/r/les-tilleuls/documents/?q=ascenseur",
    "/r/les-tilleuls/documents/checklist/",
    "/r/les-tilleuls/documents/mine/",
    "/r/les-tilleuls/documents/add/",
    "/r/les-tilleuls/works/",
    "/r/les-tilleuls/albums/",
    "/r/les-tilleuls/directory/",
    "/r/les-tilleuls/info/",
    "/r/les-tilleuls/incidents/",
    "/r/les-tilleuls/incidents/?mine=1",
    "/r/les-tilleuls/incidents/queue/",
    "/r/les-tilleuls/incidents/new/?category=water",
    "/r/les-tilleuls/incidents/request/",
    "/r/les-tilleuls/works/new/",
    "/r/les-tilleuls/albums/new/",
    "/r/les-tilleuls/directory/me/",
    "/r/les-tilleuls/directory/contacts/new/",
    "/r/les-tilleuls/info/new/",
    "/r/les-tilleuls/news/new/",
    "/notifications/",
]


def test_every_residence_page_with_the_demo_content(audited):
    """The demo's real content (photos, works, documents, directory…) through the
    council president's eyes, who sees the most; each detail page linked from the
    lists too."""
    from residents.demo import DEMO_PASSWORD, seed_demo

    seed_demo()
    sign_in(audited, "president.tilleuls@copro.demo", DEMO_PASSWORD)
    found = {}
    for path in RESIDENCE_PAGES:
        audited.goto(path)
        found[path] = violations(audited)
    for lister, detail in [
        ("/r/les-tilleuls/works/", "a[href*='/works/'][href$='/']"),
        ("/r/les-tilleuls/albums/", ".album-card h2 a"),
        ("/r/les-tilleuls/documents/", ".document h2 a"),
        ("/r/les-tilleuls/info/", "main a[href*='/info/'][href$='/']"),
        ("/r/les-tilleuls/news/", ".announcement h2 a"),
        ("/r/les-tilleuls/incidents/queue/", ".ticket h2 a"),
    ]:
        audited.goto(lister)
        audited.locator(detail).last.click()
        audited.wait_for_load_state()
        found[audited.url] = violations(audited)
    assert {path: v for path, v in found.items() if v} == {}
