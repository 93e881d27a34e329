"""Issue #4 in a real browser: a co-owner registers a passkey on allauth's page
(Chromium's virtual WebAuthn authenticator stands for their phone), then signs a
document by confirming with it on allauth's reauthentication page; the signed PDF's
signature validates and the evidence says "passkey"."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from allauth.mfa.models import Authenticator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import expect
from weasyprint import HTML

from copro.lib.uploads import clean_document
from documents import services, signatures, signing
from documents.models import SignatureRequest, SignatureStatus, Visibility
from residents.access import standing
from residents.models import Role, SyndicRole

from ..conftest import give_mfa
from ..factories import PASSWORD, make_employee, make_member, make_residence, make_user
from .conftest import signed_in_page
from .test_accessibility import violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.COPRO_SIGNING_DEV_DIR = str(tmp_path / "signing")
    settings.COPRO_SIGNING_CERT = ""
    settings.COPRO_SIGNING_KEY = ""


def virtual_authenticator(context, page) -> str:
    """A platform authenticator with user verification, answering by itself (as a
    phone would after a fingerprint): Chromium's DevTools WebAuthn domain."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    found = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page.cdp = cdp  # keep the session (and its authenticator) alive with the page
    return found["authenticatorId"]


def request_a_signature():
    """A residence, its syndic's manager and a co-owner asked to sign a PDF."""
    residence = make_residence(name="Les Tilleuls", lots=2)
    owner = make_user(first_name="Claire", last_name="Dubois", language="en")
    make_member(residence, Role.OWNER, user=owner, lots=[residence.lots.first()])
    manager = make_employee(
        residence.syndic, SyndicRole.MANAGER, user=make_user(language="en")
    )
    pdf = HTML(string="<p>Mandat de représentation à l'AG.</p>").write_pdf()
    document = services.documents_upload(
        residence=residence,
        by=manager,
        uploads=[clean_document(SimpleUploadedFile("mandat.pdf", pdf))],
        title="Mandat",
        visibility=Visibility.OWNERS,
    )[0]
    return signatures.signature_request_create(
        standing=standing(manager, residence.slug), document=document, signer=owner
    )


def test_register_a_passkey_then_sign_with_it(chromium, live_server):
    # WebAuthn refuses an IP address as the site's identity: the page must be on
    # localhost (pytest-django's live server is).
    assert "://localhost:" in live_server.url
    request = request_a_signature()
    owner, residence = request.signer, request.document.residence

    context, page = signed_in_page(chromium, live_server.url, owner)
    try:
        virtual_authenticator(context, page)

        # Register a passkey on allauth's page (it asks for the password first).
        page.goto(reverse("mfa_add_webauthn"))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        page.get_by_label("Name").fill("My phone")
        page.get_by_role("button", name="Add", exact=True).click()
        page.wait_for_url(lambda url: "/webauthn/add/" not in url)
        assert Authenticator.objects.filter(
            user=owner, type=Authenticator.Type.WEBAUTHN
        ).exists()

        # Sign: the sign page sends the member to allauth's passkey confirmation,
        # which brings them back to sign.
        sign_url = reverse(
            "documents:signature_sign", args=[residence.slug, request.pk]
        )
        page.goto(sign_url)
        expect(page.get_by_label("Code:")).to_have_count(0)
        page.get_by_role("link", name="Confirm with my passkey").click()
        page.locator("#mfa_webauthn_reauthenticate").click()
        page.wait_for_url(f"**{sign_url}")
        expect(page.locator("main")).to_contain_text(
            "You have just confirmed who you are with your passkey"
        )
        page.get_by_role("button", name="Sign the document").click()
        expect(page.locator("main")).to_contain_text("Signature valid")
        expect(page.locator("main")).to_contain_text(
            "their passkey or security key (WebAuthn)"
        )

        request.refresh_from_db()
        assert request.status == SignatureStatus.SIGNED
        assert request.confirmation == "webauthn"
        with request.signed_version.file.open("rb") as handle:
            signed = handle.read()
        # pyHanko runs its own event loop: not in this thread, where Playwright's runs.
        with ThreadPoolExecutor(1) as pool:
            verdict = pool.submit(signing.verify_pdf, signed).result()
        assert verdict.valid and verdict.intact
        assert verdict.signer_name == "Claire Dubois"
        assert page.evaluate("window.__cspViolations") == []
        assert not page.errors, page.errors
        assert (
            SignatureRequest.objects.filter(status=SignatureStatus.SIGNED).count() == 1
        )
    finally:
        context.close()


def test_the_sign_page_has_no_accessibility_violation(audited, live_server):
    """Before and after confirming on allauth's page (here with the authenticator
    app's code, the other way through it)."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from django.conf import settings
    from django.test import Client

    from ..conftest import login

    request = request_a_signature()
    give_mfa(request.signer)
    cookie = login(Client(), request.signer).cookies[settings.SESSION_COOKIE_NAME]
    audited.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie.value,
                "url": live_server.url,
            }
        ]
    )
    sign_url = reverse(
        "documents:signature_sign",
        args=[request.document.residence.slug, request.pk],
    )
    audited.goto(sign_url)
    assert violations(audited) == []
    audited.get_by_role("link", name="Confirm with my authenticator app").click()
    # A code typed in the last seconds of its 30-second window may reach the server
    # in the next one: wait for a fresh window then.
    if 30 - time.time() % 30 < 5:
        time.sleep(30 - time.time() % 30)
    code = format_hotp_value(hotp_value("JBSWY3DPEHPK3PXP", int(time.time()) // 30))
    audited.locator("input[name=code]").fill(code)
    audited.get_by_role("button", name="Confirm", exact=True).click()
    audited.wait_for_url(f"**{sign_url}")
    expect(audited.locator("main")).to_contain_text(
        "You have just confirmed who you are with your authenticator app"
    )
    assert violations(audited) == []
    audited.get_by_role("button", name="Sign the document").click()
    expect(audited.locator("main")).to_contain_text("Signature valid")
    request.refresh_from_db()
    assert request.status == SignatureStatus.SIGNED and request.confirmation == "totp"
