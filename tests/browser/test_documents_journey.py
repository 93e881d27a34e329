"""Issue #4's journey in a real browser: the syndic uploads a PDF whose text holds a
word its title does not; a co-owner finds it by that word; a tenant neither sees it
nor downloads it by its address; a share link works until it is revoked; a signature
request ends in a signed PDF whose signature validates."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import expect
from weasyprint import HTML

from documents import signing
from documents.models import Document, SignatureRequest, SignatureStatus
from residents.models import Role, SyndicRole

from ..conftest import give_mfa
from ..factories import make_employee, make_member, make_residence, make_user
from .conftest import signed_in_page

pytestmark = pytest.mark.django_db(transaction=True)

TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # the one `give_mfa` stores


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.COPRO_SIGNING_DEV_DIR = str(tmp_path / "signing")
    settings.COPRO_SIGNING_CERT = ""
    settings.COPRO_SIGNING_KEY = ""


def test_upload_find_protect_share_and_sign(chromium, live_server, tmp_path):
    residence = make_residence(name="Les Tilleuls", lots=3)
    lots = list(residence.lots.order_by("number"))
    owner = make_user(first_name="Paul", last_name="Martin", language="en")
    tenant = make_user(language="en")
    make_member(residence, Role.OWNER, user=owner, lots=[lots[0]])
    make_member(residence, Role.TENANT, user=tenant, lots=[lots[0]])
    give_mfa(owner)
    manager = make_employee(
        residence.syndic, SyndicRole.MANAGER, user=make_user(language="en")
    )
    pdf = tmp_path / "rapport.pdf"
    pdf.write_bytes(
        HTML(string="<p>Traces de mérule dans la cave du bâtiment B.</p>").write_pdf()
    )
    slug = residence.slug
    contexts = []
    try:
        # The syndic uploads it, for co-owners only.
        context, desk = signed_in_page(chromium, live_server.url, manager)
        contexts.append(context)
        desk.goto(f"/r/{slug}/documents/add/")
        desk.get_by_label("Files:").set_input_files(str(pdf))
        desk.get_by_label("Title:").fill("Rapport de visite")
        desk.get_by_label("Visible to:").select_option("owners")
        desk.get_by_role("button", name="Add", exact=True).click()
        expect(desk.locator("h1")).to_have_text("Rapport de visite")
        document = Document.objects.get()

        # A co-owner finds it by a word of its text, not of its title.
        context, home = signed_in_page(chromium, live_server.url, owner)
        contexts.append(context)
        home.goto(f"/r/{slug}/documents/?q=merule")
        result = home.locator(".document")
        expect(result).to_have_count(1)
        expect(result.locator("mark")).to_have_text("mérule")

        # A tenant sees nothing, even with the address.
        context, other = signed_in_page(chromium, live_server.url, tenant)
        contexts.append(context)
        other.goto(f"/r/{slug}/documents/?q=merule")
        expect(other.locator(".document")).to_have_count(0)
        response = other.goto(f"/r/{slug}/documents/{document.pk}/v1/")
        assert response.status == 404

        # A share link works until the syndic revokes it.
        desk.goto(document.get_absolute_url())
        desk.get_by_role("link", name="Share this document").click()
        desk.get_by_label("For whom:").fill("Maître Durand, notaire")
        desk.get_by_role("button", name="Create the link").click()
        public_url = desk.locator("#share-url").input_value()
        context, notary = signed_in_page(chromium, live_server.url)
        contexts.append(context)
        notary.goto(public_url)
        expect(notary.locator("main")).to_contain_text("Rapport de visite")
        with notary.expect_download() as download:
            notary.get_by_role("link", name="Rapport de visite").first.click()
        assert download.value.path().read_bytes().startswith(b"%PDF")
        desk.get_by_role("button", name="Revoke the link").click()
        expect(desk.locator(".message-success")).to_be_visible()
        response = notary.goto(public_url)
        assert response.status == 410
        expect(notary.locator("main")).to_contain_text("révoqué")  # French first

        # A signature request ends in a signed PDF whose signature validates.
        desk.goto(document.get_absolute_url())
        desk.get_by_role("link", name="Request a signature").click()
        desk.get_by_role("button", name="Send the request").click()
        home.goto(f"/r/{slug}/")
        home.get_by_role("link", name="Rapport de visite").first.click()
        code = format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30))
        home.get_by_label("Code:").fill(code)
        home.get_by_role("button", name="Sign the document").click()
        request = SignatureRequest.objects.get()
        assert request.status == SignatureStatus.SIGNED
        with request.signed_version.file.open("rb") as handle:
            signed = handle.read()
        # pyHanko runs its own event loop: not in this thread, where Playwright's runs.
        with ThreadPoolExecutor(1) as pool:
            verdict = pool.submit(signing.verify_pdf, signed).result()
        assert verdict.valid and verdict.intact
    finally:
        for context in contexts:
            context.close()
