"""Issue #5's journey in a real browser: a tenant on a phone declares an urgent leak
with a photo; another resident confirms it; the syndic acknowledges it, sends a
provider, resolves it; the reporter sees each step in the notification centre and
rates the handling; the statistics page counts it. Everyone works in English here
(their language choice); the French pages are covered by the accessibility audit."""

from __future__ import annotations

import pytest
from PIL import Image
from playwright.sync_api import expect

from directory.models import Contact, ContactKind
from incidents.models import Ticket
from incidents.workflow import Status
from residents.models import Role, SyndicRole

from ..factories import make_employee, make_member, make_residence, make_user
from .conftest import signed_in_page

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_urgent_leak_from_declaration_to_rating(chromium, live_server, tmp_path):
    residence = make_residence(name="Les Tilleuls", lots=4)
    lots = list(residence.lots.order_by("number"))
    tenant = make_user(first_name="Léa", last_name="Bernard", language="en")
    neighbour = make_user(first_name="Paul", last_name="Martin", language="en")
    make_member(residence, Role.TENANT, user=tenant, lots=[lots[0]])
    make_member(residence, Role.OWNER, user=neighbour, lots=[lots[1]])
    manager = make_employee(
        residence.syndic, SyndicRole.MANAGER, user=make_user(language="en")
    )
    Contact.objects.create(
        residence=residence,
        kind=ContactKind.PROVIDER,
        name="Plomberie Express",
        email="urgence@plomberie.example",
    )
    photo = tmp_path / "fuite.jpg"
    Image.new("RGB", (800, 600), (40, 90, 160)).save(photo, "JPEG")
    slug = residence.slug
    contexts = []
    try:
        # The tenant, on a phone, declares the leak with a photo.
        context, phone = signed_in_page(chromium, live_server.url, tenant, size="phone")
        contexts.append(context)
        phone.goto(f"/r/{slug}/incidents/new/")
        phone.get_by_label("Category:").select_option("water")
        phone.get_by_label("In a few words:").fill("Fuite dans le local vélos")
        phone.get_by_label("Where:").fill("Bât. A, sous-sol")
        phone.get_by_label("Urgent").check()
        phone.get_by_label("Photos:").set_input_files(str(photo))
        phone.get_by_role("button", name="Declare").click()
        expect(phone.locator(".message-success")).to_be_visible()
        ticket = Ticket.objects.get()
        assert ticket.urgency == "urgent" and ticket.photos.count() == 1

        # A neighbour sees it before declaring the same thing, and confirms it.
        context, other = signed_in_page(chromium, live_server.url, neighbour)
        contexts.append(context)
        other.goto(f"/r/{slug}/incidents/new/")
        other.get_by_label("Category:").select_option("water")
        similar = other.locator("#similar")
        expect(similar).to_contain_text("Fuite dans le local vélos")  # htmx, at once
        similar.get_by_role("link", name="Fuite dans le local vélos").click()
        other.get_by_role("button", name="Me too: I see the same problem").click()
        expect(other.get_by_text("You confirmed this incident.")).to_be_visible()

        # The syndic acknowledges it, sends a provider, resolves it.
        context, desk = signed_in_page(chromium, live_server.url, manager)
        contexts.append(context)
        desk.goto(ticket.get_absolute_url())
        for status, comment in [
            ("acknowledged", "Plombier prévenu."),
            ("in_progress", "Intervention en cours."),
        ]:
            desk.get_by_label("New status:").select_option(status)
            desk.get_by_label("Comment:", exact=True).fill(comment)
            desk.get_by_role("button", name="Change the status").click()
            expect(desk.locator(".message-success")).to_be_visible()
        desk.get_by_role("link", name="Send a provider").click()
        provider = desk.get_by_label("Provider:", exact=True)
        provider.select_option(label="Plomberie Express")
        desk.get_by_role("button", name="Send this provider").click()
        expect(desk.locator("#interventions")).to_contain_text("Plomberie Express")
        desk.get_by_label("New status:").select_option("resolved")
        desk.get_by_role("button", name="Change the status").click()
        expect(desk.locator(".status").first).to_have_text("Resolved")

        # The reporter follows each step in the notification centre, then rates it.
        phone.goto("/notifications/")
        centre = phone.locator("main")
        for step in ("acknowledged", "in progress", "resolved"):
            expect(centre).to_contain_text(f"Fuite dans le local vélos: {step}")
        phone.goto(ticket.get_absolute_url())
        phone.get_by_label("★★★★★", exact=True).check()
        phone.get_by_label("Comment on the handling:").fill("Très réactif")
        phone.get_by_role("button", name="Rate").click()
        expect(phone.locator(".message-success")).to_be_visible()
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED and ticket.rating == 5

        # The statistics page counts it.
        desk.goto(f"/r/{slug}/incidents/stats/")
        expect(desk.locator("main")).to_contain_text("5.0")
        for page in (phone, other, desk):
            assert page.errors == []
            assert page.evaluate("window.__cspViolations") == []
    finally:
        for context in contexts:
            context.close()
