"""Issue #4: staff add documents by dropping files on the upload form (a progressive
enhancement of its file input), in the site and in the back office."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from weasyprint import HTML

from documents.models import Document
from residents.models import SyndicRole

from ..factories import make_employee, make_residence, make_user
from .conftest import signed_in_page
from .test_accessibility import violations

pytestmark = pytest.mark.django_db(transaction=True)

# Drops files built in the page on the file input's drop zone, as a file manager
# would: dragenter, dragover, then drop, carrying a DataTransfer.
DROP = """([selector, files]) => {
  const transfer = new DataTransfer();
  for (const [name, text] of files) {
    const body = `BT /F1 12 Tf 20 100 Td (${text}) Tj ET`;
    const objects = [
      "<</Type/Catalog/Pages 2 0 R>>",
      "<</Type/Pages/Kids[3 0 R]/Count 1>>",
      "<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]/Contents 4 0 R" +
        "/Resources<</Font<</F1 5 0 R>>>>>>",
      `<</Length ${body.length}>>stream\\n${body}\\nendstream`,
      "<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ];
    let pdf = "%PDF-1.4\\n";
    const offsets = objects.map((object, i) => {
      const at = pdf.length;
      pdf += `${i + 1} 0 obj\\n${object}\\nendobj\\n`;
      return at;
    });
    const xref = pdf.length;
    pdf += `xref\\n0 ${objects.length + 1}\\n0000000000 65535 f \\n`;
    for (const at of offsets) pdf += `${String(at).padStart(10, "0")} 00000 n \\n`;
    pdf += `trailer<</Size ${objects.length + 1}/Root 1 0 R>>\\n`;
    pdf += `startxref\\n${xref}\\n%%EOF\\n`;
    // A fixed date, as a file on disk has: dropping it again is the same file.
    transfer.items.add(new File([pdf], name, {
      type: "application/pdf", lastModified: 1767225600000,
    }));
  }
  const zone = document.querySelector(selector);
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, {
      bubbles: true, cancelable: true, dataTransfer: transfer,
    }));
  }
  return document.querySelector(selector + " input[type=file]").files.length;
}"""


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_drop_files_on_the_upload_form(chromium, live_server, tmp_path, size):
    residence = make_residence(name="Les Tilleuls", lots=2)
    manager = make_employee(
        residence.syndic, SyndicRole.MANAGER, user=make_user(language="en")
    )
    chosen = tmp_path / "choisi.pdf"
    chosen.write_bytes(HTML(string="<p>Choisi au clavier</p>").write_pdf())
    context, page = signed_in_page(chromium, live_server.url, manager, size=size)
    try:
        page.goto(reverse("documents:upload", args=[residence.slug]))
        zone = page.locator(".dropzone")
        expect(zone).to_contain_text("You may also drop files here")

        # The input stays the way in (keyboard, button): a file chosen with it…
        page.get_by_label("Files:").set_input_files(str(chosen))
        expect(zone.locator(".dropzone-files li")).to_have_text(["choisi.pdf"])
        # …and two dropped at once join it.
        count = page.evaluate(
            DROP,
            [
                ".dropzone",
                [["releve-glisse.pdf", "Releve"], ["devis-glisse.pdf", "Devis"]],
            ],
        )
        assert count == 3
        expect(zone.locator("[aria-live=polite] li")).to_have_text(
            ["choisi.pdf", "releve-glisse.pdf", "devis-glisse.pdf"]
        )
        # The same file dropped twice is sent once.
        page.evaluate(DROP, [".dropzone", [["devis-glisse.pdf", "Devis"]]])
        expect(zone.locator(".dropzone-files li")).to_have_count(3)

        page.get_by_label("Visible to:").select_option("owners")
        page.get_by_role("button", name="Add", exact=True).click()
        expect(page.locator(".message-success")).to_contain_text("3 documents added")
        titles = sorted(Document.objects.values_list("title", flat=True))
        assert titles == ["choisi", "devis-glisse", "releve-glisse"]
        dropped = Document.objects.get(title="releve-glisse").current_version
        with dropped.file.open("rb") as handle:
            assert handle.read().startswith(b"%PDF-1.4")
        assert dropped.original_name == "releve-glisse.pdf"
        assert page.evaluate("window.__cspViolations") == []
        assert not page.errors, page.errors
    finally:
        context.close()


def test_drop_files_in_the_back_office(chromium, live_server):
    residence = make_residence(name="Les Tilleuls", lots=2)
    manager = make_employee(
        residence.syndic, SyndicRole.MANAGER, user=make_user(language="en")
    )
    context, page = signed_in_page(chromium, live_server.url, manager)
    try:
        page.goto(reverse("backoffice:documents_document_add"))
        count = page.evaluate(DROP, [".dropzone", [["pv-ag.pdf", "PV"]]])
        assert count == 1
        expect(page.locator(".dropzone-files li")).to_have_text(["pv-ag.pdf"])
        page.get_by_label("Visible to:").select_option("owners")
        page.locator("input[type=submit][value=Add]").click()
        expect(page.locator(".messagelist")).to_be_visible()
        assert list(Document.objects.values_list("title", flat=True)) == ["pv-ag"]
        assert page.evaluate("window.__cspViolations") == []
        assert not page.errors, page.errors
    finally:
        context.close()


def test_the_upload_form_with_dropped_files_has_no_accessibility_violation(
    audited, live_server
):
    from django.conf import settings
    from django.test import Client

    from ..conftest import login

    residence = make_residence(name="Les Tilleuls", lots=2)
    manager = make_employee(
        residence.syndic, SyndicRole.MANAGER, user=make_user(language="en")
    )
    cookie = login(Client(), manager).cookies[settings.SESSION_COOKIE_NAME].value
    audited.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie,
                "url": live_server.url,
            }
        ]
    )
    audited.goto(reverse("documents:upload", args=[residence.slug]))
    assert audited.evaluate(DROP, [".dropzone", [["pv.pdf", "PV"]]]) == 1
    expect(audited.locator(".dropzone-files li")).to_have_text(["pv.pdf"])
    assert violations(audited) == []
