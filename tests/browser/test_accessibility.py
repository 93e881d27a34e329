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
