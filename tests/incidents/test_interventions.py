"""Interventions: the syndic sends a provider of the residence's directory, the visit
goes into the calendar (and moves or leaves it with the intervention), followers are
told, and the quote, invoice and report are filed as documents that only the right
people may open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from weasyprint import HTML

from directory.models import Contact, ContactKind
from documents.models import Document, DocumentVersion, Visibility
from incidents import interventions, services
from incidents.models import Intervention, InterventionDocument, Kind
from life.models import Event, EventKind
from life.selectors import events_for
from notifications.models import Notification
from residents.access import standing as standing_of

from ..conftest import MATRIX_ARGS, login, matrix_cells
from .test_tickets import declare, jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


_PDF: list[bytes] = []


def pdf_bytes() -> bytes:
    """A real (small) PDF, made once."""
    if not _PDF:
        _PDF.append(HTML(string="<h1>Devis n° 2026-014</h1>").write_pdf())
    return _PDF[0]


def provider(residence, name="Plomberie Martin", kind=ContactKind.PROVIDER, **extra):
    return Contact.objects.create(
        residence=residence,
        kind=kind,
        name=name,
        organisation=extra.pop("organisation", "Martin SARL"),
        role=extra.pop("role", "Plombier"),
        phone=extra.pop("phone", "04 78 00 00 01"),
        **extra,
    )


def soon(days=2, hour=9):
    start = timezone.localtime() + timedelta(days=days)
    return start.replace(hour=hour, minute=0, second=0, microsecond=0)


def send(world, ticket, who=None, persona="manager", **data):
    return interventions.intervention_create(
        ticket=ticket,
        by=world.user(persona),
        provider=who or provider(world.home),
        **data,
    )


def _iv_args(w, iv):
    return [w.home.slug, iv.ticket_id, iv.pk]


def _ticket_args(w, iv):
    return [w.home.slug, iv.ticket_id]


# anonymous outsider tenant owner council president staff manager other_staff
READ = [302, 404, 200, 200, 200, 200, 200, 200, 404]
READ_POST = [302, 404, 405, 405, 405, 405, 405, 405, 404]
HANDLE = [302, 404, 403, 403, 403, 403, 200, 200, 404]
HANDLE_POST = [302, 404, 403, 403, 403, 403, 302, 302, 404]
HANDLE_POST_ONLY = [302, 404, 403, 403, 403, 403, 405, 405, 404]

VIEWS = [
    ("incidents:interventions", "get", _ticket_args, READ),
    ("incidents:interventions", "post", _ticket_args, READ_POST),
    ("incidents:intervention_new", "get", _ticket_args, HANDLE),
    ("incidents:intervention_new", "post", _ticket_args, HANDLE_POST),
    ("incidents:intervention_edit", "get", _iv_args, HANDLE),
    ("incidents:intervention_edit", "post", _iv_args, HANDLE_POST),
    ("incidents:intervention_delete", "get", _iv_args, HANDLE_POST_ONLY),
    ("incidents:intervention_delete", "post", _iv_args, HANDLE_POST),
    ("incidents:intervention_attach", "get", _iv_args, HANDLE),
    ("incidents:intervention_attach", "post", _iv_args, HANDLE_POST),
    ("incidents:intervention_pdf", "get", _iv_args, HANDLE),
    ("incidents:intervention_pdf", "post", _iv_args, HANDLE_POST_ONLY),
]


def _snapshot(iv: Intervention) -> tuple:
    iv.refresh_from_db()
    event = Event.objects.get(pk=iv.event_id)
    return (
        iv.provider_id,
        iv.visit_starts_at,
        iv.visit_ends_at,
        iv.notes,
        event.starts_at,
        event.title,
    )


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    ticket = declare(world)
    iv = send(world, ticket, visit_starts_at=soon(), notes="Clé chez la gardienne")
    other = provider(world.home, name="Dépannage Express")
    before = _snapshot(iv)
    client = as_persona(persona)
    data = {
        "provider": other.pk,
        "visit_starts_at": soon(days=5).strftime("%Y-%m-%dT%H:%M"),
        "notes": "Changé",
        "role": InterventionDocument.Role.QUOTE,
        "file": SimpleUploadedFile("devis.pdf", pdf_bytes()),
    }
    response = getattr(client, method)(reverse(name, args=args(world, iv)), data)
    assert response.status_code == expected
    if method == "post" and expected != 302:
        assert _snapshot(iv) == before
        assert Intervention.objects.count() == 1
        assert Event.objects.count() == 1
        assert not Document.objects.exists()
        assert not InterventionDocument.objects.exists()


def test_the_syndic_sends_a_provider_and_the_visit_enters_the_calendar(
    world, client, django_capture_on_commit_callbacks
):
    ticket = declare(world, location="Bât. A, 3e étage")
    services.ticket_confirm(ticket=ticket, user=world.user("owner"))
    plumber = provider(world.home)
    login(client, world.user("manager"))
    start = soon()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("incidents:intervention_new", args=[world.home.slug, ticket.pk]),
            {
                "provider": plumber.pk,
                "visit_starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                "notes": "Code d'accès 1234B",
            },
        )
    assert response.status_code == 302
    assert response.url == ticket.get_absolute_url()
    iv = Intervention.objects.get()
    assert (iv.ticket, iv.provider, iv.created_by) == (
        ticket,
        plumber,
        world.user("manager"),
    )
    # No end given: two hours.
    assert iv.visit_ends_at - iv.visit_starts_at == timedelta(hours=2)

    # Every member sees the visit in the residence's calendar.
    tenant = standing_of(world.user("tenant"), world.home.slug)
    [event] = events_for(tenant)
    assert event == iv.event and event.kind == EventKind.VISIT
    assert event.starts_at == start and event.place == "Bât. A, 3e étage"
    assert "Plomberie Martin" in event.title and "Fuite au 3e" in event.title
    assert event.title.startswith("Intervention")

    # The reporter and the resident who confirmed are told, not the syndic who acted.
    told = Notification.objects.filter(title__icontains="Fuite au 3e")
    assert set(told.values_list("recipient", flat=True)) == {
        world.user("tenant").pk,
        world.user("owner").pk,
    }
    assert all("Plomberie Martin" in n.body for n in told)

    # The ticket page's panel lists it for the reporter, without the instructions.
    login(client, world.user("tenant"))
    page = client.get(
        reverse("incidents:interventions", args=[world.home.slug, ticket.pk])
    ).content.decode()
    assert "Plomberie Martin" in page and start.isoformat()[:16] in page
    assert "1234B" not in page
    assert "intervention_pdf" not in page and "/pdf/" not in page
    login(client, world.user("council"))
    page = client.get(
        reverse("incidents:interventions", args=[world.home.slug, ticket.pk])
    ).content.decode()
    assert "1234B" in page


def test_the_visit_moves_and_leaves_the_calendar_with_the_intervention(
    world, client, django_capture_on_commit_callbacks
):
    ticket = declare(world)
    iv = send(world, ticket, visit_starts_at=soon())
    event_id = iv.event_id
    later = soon(days=6, hour=14)
    url = reverse(
        "incidents:intervention_edit", args=[world.home.slug, ticket.pk, iv.pk]
    )
    login(client, world.user("staff"))
    form = client.get(url)
    assert form.context["form"]["provider"].value() == iv.provider_id

    # Moved: the same event, at the new time.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url,
            {
                "provider": iv.provider_id,
                "visit_starts_at": later.strftime("%Y-%m-%dT%H:%M"),
                "visit_ends_at": (later + timedelta(hours=1)).strftime(
                    "%Y-%m-%dT%H:%M"
                ),
            },
        )
    iv.refresh_from_db()
    event = Event.objects.get()
    assert iv.event_id == event.pk == event_id
    assert (event.starts_at, event.ends_at) == (later, later + timedelta(hours=1))
    assert Notification.objects.filter(recipient=world.user("tenant")).count() == 1

    # Removed: the event goes; the followers hear the visit is off.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"provider": iv.provider_id, "visit_starts_at": ""})
    iv.refresh_from_db()
    assert iv.visit_starts_at is None and iv.event is None
    assert not Event.objects.exists()
    assert Notification.objects.filter(recipient=world.user("tenant")).count() == 2

    # Set again, then the intervention is called off: the event goes with it.
    client.post(
        url,
        {
            "provider": iv.provider_id,
            "visit_starts_at": soon().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert Event.objects.count() == 1
    client.post(
        reverse(
            "incidents:intervention_delete", args=[world.home.slug, ticket.pk, iv.pk]
        )
    )
    assert not Intervention.objects.exists() and not Event.objects.exists()
    assert list(events_for(standing_of(world.user("owner"), world.home.slug))) == []


def test_a_provider_of_another_residence_is_refused(world, client):
    ticket = declare(world)
    theirs = provider(world.other, name="Plombier du Clos")
    with pytest.raises(ValidationError) as refused:
        send(world, ticket, who=theirs)
    assert "provider" in refused.value.message_dict
    caretaker = provider(world.home, name="Mme Durand", kind=ContactKind.CARETAKER)
    with pytest.raises(ValidationError):
        send(world, ticket, who=caretaker)

    login(client, world.user("manager"))
    response = client.post(
        reverse("incidents:intervention_new", args=[world.home.slug, ticket.pk]),
        {"provider": theirs.pk, "notes": "Passer par la cour"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["provider"]
    assert "Passer par la cour" in response.content.decode()
    assert not Intervention.objects.exists() and not Event.objects.exists()


def test_bad_visit_times_are_refused_with_what_was_typed(world, client):
    ticket = declare(world)
    plumber = provider(world.home)
    login(client, world.user("manager"))
    start = soon()
    response = client.post(
        reverse("incidents:intervention_new", args=[world.home.slug, ticket.pk]),
        {
            "provider": plumber.pk,
            "visit_starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "visit_ends_at": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "notes": "Sonner au gardien",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["visit_ends_at"]
    page = response.content.decode()
    assert "Sonner au gardien" in page and start.strftime("%Y-%m-%dT%H:%M") in page
    assert not Intervention.objects.exists() and not Event.objects.exists()
    # The service refuses it too, whoever calls it.
    with pytest.raises(ValidationError):
        send(
            world,
            ticket,
            who=plumber,
            visit_starts_at=start,
            visit_ends_at=start - timedelta(hours=1),
        )
    with pytest.raises(ValidationError):
        send(world, ticket, who=plumber, visit_ends_at=start)
    assert not Intervention.objects.exists()


def test_requests_get_no_intervention(world, client):
    request = declare(world, kind=Kind.REQUEST, title="Attestation")
    with pytest.raises(ValidationError):
        send(world, request)
    login(client, world.user("manager"))
    url = reverse("incidents:intervention_new", args=[world.home.slug, request.pk])
    assert client.get(url).status_code == 404
    assert not Intervention.objects.exists()


def test_an_intervention_of_another_ticket_is_not_found(world, client):
    first, second = declare(world), declare(world, title="Porte du hall")
    iv = send(world, first)
    login(client, world.user("manager"))
    url = reverse(
        "incidents:intervention_edit", args=[world.home.slug, second.pk, iv.pk]
    )
    assert client.get(url).status_code == 404


def _attach(client, world, iv, role, upload, title=""):
    return client.post(
        reverse(
            "incidents:intervention_attach", args=[world.home.slug, iv.ticket_id, iv.pk]
        ),
        {"role": role, "file": upload, "title": title},
    )


def test_attachments_are_filed_with_the_right_visibility(world, client):
    ticket = declare(world)
    iv = send(world, ticket)
    Role = InterventionDocument.Role
    login(client, world.user("staff"))
    for role, name in ((Role.QUOTE, "devis.pdf"), (Role.INVOICE, "facture.pdf")):
        response = _attach(
            client, world, iv, role, SimpleUploadedFile(name, pdf_bytes())
        )
        assert response.status_code == 302
    response = _attach(
        client,
        world,
        iv,
        Role.REPORT,
        SimpleUploadedFile("rapport.jpg", jpeg()),
        title="Rapport de passage",
    )
    assert response.status_code == 302
    links = {
        link.role: link.document
        for link in InterventionDocument.objects.select_related("document")
    }
    quote, invoice, report = links[Role.QUOTE], links[Role.INVOICE], links[Role.REPORT]
    assert (quote.category, quote.visibility) == ("quotes", Visibility.COUNCIL)
    assert (invoice.category, invoice.visibility) == ("invoices", Visibility.COUNCIL)
    assert (report.category, report.visibility) == ("reports", Visibility.OWNERS)
    assert report.title == "Rapport de passage"
    assert "Fuite au 3e" in quote.title
    # The photo of the report lost its location data on the way in.
    stored = DocumentVersion.objects.get(document=report)
    assert not Image.open(stored.file.path).getexif()

    # Who may open what, in the library and from the ticket's panel.
    opens = {}
    listed = {}
    panel = reverse("incidents:interventions", args=[world.home.slug, ticket.pk])
    for persona in ("tenant", "owner", "council", "manager"):
        login(client, world.user(persona))
        opens[persona] = {
            role
            for role, document in links.items()
            if client.get(document.get_absolute_url()).status_code == 200
        }
        page = client.get(panel).content.decode()
        listed[persona] = {
            role
            for role, document in links.items()
            if document.get_absolute_url() in page
        }
    assert opens["tenant"] == listed["tenant"] == set()
    assert opens["owner"] == listed["owner"] == {Role.REPORT}
    assert opens["council"] == listed["council"] == set(Role.values)
    assert opens["manager"] == listed["manager"] == set(Role.values)


def test_bad_attachments_are_refused_and_nothing_is_kept(
    world, client, settings, _media
):
    iv = send(world, declare(world))
    login(client, world.user("manager"))
    response = _attach(
        client,
        world,
        iv,
        InterventionDocument.Role.QUOTE,
        SimpleUploadedFile("devis.jpg", b"Ceci n'est pas une image."),
        title="Devis plomberie",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert 'value="Devis plomberie"' in response.content.decode()

    settings.COPRO_DOCUMENT_MAX_BYTES = 1000
    response = _attach(
        client,
        world,
        iv,
        InterventionDocument.Role.QUOTE,
        SimpleUploadedFile("gros.pdf", pdf_bytes() + b"\0" * 2000),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Document.objects.exists() and not InterventionDocument.objects.exists()
    assert [p for p in _media.rglob("*") if p.is_file()] == []


def test_calling_off_keeps_the_documents_in_the_library(world, client):
    iv = send(world, declare(world), visit_starts_at=soon())
    login(client, world.user("manager"))
    _attach(
        client,
        world,
        iv,
        InterventionDocument.Role.INVOICE,
        SimpleUploadedFile("facture.pdf", pdf_bytes()),
    )
    client.post(
        reverse(
            "incidents:intervention_delete", args=[world.home.slug, iv.ticket_id, iv.pk]
        )
    )
    assert not Intervention.objects.exists() and not Event.objects.exists()
    assert Document.objects.count() == 1


def _render_panel(world, ticket, persona, standing=None):
    """The partial as detail.html includes it, with `ticket` and `standing` only."""
    user = world.user(persona)
    request = RequestFactory().get("/")
    request.user = user
    return Template('{% include "incidents/_interventions.html" %}').render(
        Context(
            {
                "ticket": ticket,
                "standing": standing or standing_of(user, world.home.slug),
                "request": request,
            }
        )
    )


@pytest.mark.parametrize("rows", [1, 10])
def test_the_ticket_panel_queries_stay_constant(
    world, client, rows, django_assert_max_num_queries
):
    ticket = declare(world)
    plumber = provider(world.home)
    for n in range(rows):
        iv = send(world, ticket, who=plumber, visit_starts_at=soon(days=n + 1))
        for role in InterventionDocument.Role.values:
            interventions.intervention_attach(
                intervention=iv,
                by=world.user("manager"),
                role=role,
                upload=_clean_pdf(f"{role}-{n}.pdf"),
            )
    for persona in ("owner", "manager"):
        standing = standing_of(world.user(persona), world.home.slug)
        # interventions (with provider and event), the documents this reader may
        # open (one prefetch)
        with django_assert_max_num_queries(2):
            html = _render_panel(world, ticket, persona, standing)
        assert html.count('class="intervention"') == rows
        links = html.count("/documents/")
        assert links == (rows if persona == "owner" else 3 * rows)  # report only
    login(client, world.user("manager"))
    url = reverse("incidents:interventions", args=[world.home.slug, ticket.pk])
    client.get(url, headers={"HX-Request": "true"})
    # session, user, staff MFA check, standing, ticket, interventions, documents
    with django_assert_max_num_queries(7):
        response = client.get(url, headers={"HX-Request": "true"})
    assert response.content.decode().count('class="intervention"') == rows


def _clean_pdf(name):
    from copro.lib.uploads import clean_document

    return clean_document(SimpleUploadedFile(name, pdf_bytes()))


def test_the_panel_shows_nothing_to_residents_when_no_provider_was_sent(world):
    ticket = declare(world)
    assert "Interventions" not in _render_panel(world, ticket, "tenant")
    assert "intervention_new" not in _render_panel(world, ticket, "tenant")
    html = _render_panel(world, ticket, "staff")
    assert (
        reverse("incidents:intervention_new", args=[world.home.slug, ticket.pk]) in html
    )
