"""The "demande d'intervention" PDF: a real A4 PDF with the incident's details, the
provider and the photos read from private storage, for the syndic only."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from copro.lib.uploads import clean_image
from directory.models import Contact, ContactKind
from incidents import pdf, services
from incidents.models import Intervention

from ..conftest import login
from .test_interventions import _media, provider, send, soon  # noqa: F401
from .test_tickets import declare, jpeg

pytestmark = pytest.mark.django_db

A4 = (595, 842)  # points, rounded


def _url(world, iv):
    return reverse(
        "incidents:intervention_pdf", args=[world.home.slug, iv.ticket_id, iv.pk]
    )


def _images(reader: PdfReader) -> set:
    """The PDF's embedded images (pages may share one resources dictionary)."""
    found = set()
    for page in reader.pages:
        objects = page["/Resources"].get("/XObject") or {}
        for ref in objects.values():
            if ref.get_object().get("/Subtype") == "/Image":
                found.add(ref.idnum)
    return found


def test_the_syndic_downloads_a_real_pdf_with_the_details_and_the_photo(world, client):
    ticket = declare(
        world,
        title="Fuite sous l'évier du local vélos",
        location="Bât. B, sous-sol",
        description="L'eau coule depuis hier soir.",
        urgency="urgent",
        photos=[clean_image(SimpleUploadedFile("fuite.jpg", jpeg((800, 600))))],
    )
    services.ticket_set_priority(ticket=ticket, priority=1)
    Contact.objects.create(
        residence=world.home,
        kind=ContactKind.CARETAKER,
        name="Mme Durand",
        role="Gardienne",
        phone="06 11 22 33 44",
    )
    iv = send(
        world,
        ticket,
        who=provider(world.home, name="Plomberie Martin"),
        visit_starts_at=soon(),
        notes="Clé du local chez la gardienne.",
    )
    login(client, world.user("staff"))
    response = client.get(_url(world, iv))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"demande-intervention-{ticket.pk}-{iv.pk}.pdf" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF")

    reader = PdfReader(io.BytesIO(body))
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in (
        "Fuite sous l'évier du local vélos",
        "Plomberie Martin",
        "Les Tilleuls",
        "1 rue de la Paix",
        "Bât. B, sous-sol",
        "L'eau coule depuis hier soir.",
        "Clé du local chez la gardienne.",
        "Mme Durand",
        "06 11 22 33 44",
        world.home.syndic.name,
        str(ticket.pk),
    ):
        assert expected in text, expected
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4
    # The photo is embedded as an image, read from storage.
    assert len(_images(reader)) == 1


def test_without_photo_or_visit_it_is_still_a_complete_request(world):
    iv = send(world, declare(world, title="Porte du hall bloquée"))
    iv = Intervention.objects.select_related(
        "ticket__residence__syndic", "provider", "created_by"
    ).get(pk=iv.pk)
    reader = PdfReader(io.BytesIO(pdf.intervention_pdf(iv)))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Porte du hall bloquée" in text and "Plomberie Martin" in text
    assert _images(reader) == set()


def test_the_pdf_never_fetches_an_address_from_the_ticket(world, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(jpeg())
    ticket = declare(
        world,
        title="Test",
        description=f'<img src="file://{secret}"> <img src="http://127.0.0.1:9/x.png">',
    )
    iv = send(world, ticket)
    reader = PdfReader(io.BytesIO(pdf.intervention_pdf(iv)))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "<img" in text  # shown as text, escaped
    assert _images(reader) == set()
    fetcher = pdf._PhotoFetcher({})
    for address in (f"file://{secret}", "http://127.0.0.1:9/x.png", "photo:1"):
        with pytest.raises(ValueError):
            fetcher.fetch(address)


def test_only_the_syndic_prints_it_and_reading_it_changes_nothing(
    world, client, django_assert_max_num_queries
):
    iv = send(world, declare(world), visit_starts_at=soon())
    for persona, expected in (("council", 403), ("tenant", 403), ("other_staff", 404)):
        login(client, world.user(persona))
        assert client.get(_url(world, iv)).status_code == expected
    login(client, world.user("manager"))
    client.get(_url(world, iv))
    # session, user, staff MFA check, standing, ticket, intervention (provider,
    # event, creator, residence, syndic), photos, caretakers
    with django_assert_max_num_queries(8):
        response = client.get(_url(world, iv))
    assert response.status_code == 200
    assert Intervention.objects.get().notes == iv.notes
