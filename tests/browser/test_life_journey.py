"""Issue #3's journey, as people would live it, in a real browser on the real ASGI
server: the syndic's manager publishes an announcement and posts a works update with a
photo; the co-owner, whose dashboard stays open, sees each one arrive without reloading
(badge and toast), then on the dashboard and in the notification centre, and gets the
emails. Skipped without Redis (REDIS_URL) or Chromium, like the real-time test."""

from __future__ import annotations

import os
import time

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect

from notifications import realtime
from residents.models import Role, SyndicRole

from ..conftest import requires_redis
from ..factories import make_employee, make_member, make_residence, make_user
from .conftest import signed_in_page

pytestmark = [
    requires_redis,
    pytest.mark.redis,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres://"),
        reason="the ASGI server reaches the test database over TCP (DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]

PUSH_MS = 8_000  # far below the 120 s safety-net polling


def _subscribed(user) -> bool:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        channel = realtime.channel(user.pk)
        return dict(client.pubsub_numsub(channel)).get(channel.encode(), 0) > 0
    finally:
        client.close()


def _photo(tmp_path):
    path = tmp_path / "echafaudage.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8825)[2] = (45.0, 45.0, 30.0)  # a GPS position, to be removed
    Image.new("RGB", (640, 480), (180, 120, 60)).save(path, "JPEG", exif=exif)
    return path


def _mails(tmp_path) -> str:
    folder = tmp_path / "mail"
    return "\n".join(
        p.read_text(errors="replace") for p in folder.glob("*") if p.is_file()
    )


def test_the_residence_life_journey(chromium, asgi_server, tmp_path):
    residence = make_residence(name="Les Tilleuls", lots=4)
    owner = make_user(first_name="Paul", last_name="Martin")
    make_member(residence, Role.OWNER, user=owner, lots=[residence.lots.first()])
    # The manager works in English (their choice); the owner reads French.
    manager = make_employee(
        residence.syndic, SyndicRole.MANAGER, user=make_user(language="en")
    )
    slug = residence.slug

    owner_context, home = signed_in_page(chromium, asgi_server, owner, size="phone")
    manager_context, desk = signed_in_page(chromium, asgi_server, manager)
    try:
        home.goto(f"/r/{slug}/")
        badge = home.locator("#notification-badge")
        expect(badge).to_have_attribute("data-count", "0")
        deadline = time.monotonic() + 10
        while not _subscribed(owner):
            assert time.monotonic() < deadline, "the dashboard did not open its stream"
            time.sleep(0.1)

        # The manager publishes an announcement through the site's form.
        desk.goto(f"/r/{slug}/news/new/")
        desk.get_by_label("Title").fill("Coupure d'eau mardi")
        desk.get_by_label("Text:", exact=True).fill("De **9 h à 12 h**, colonne B.")
        desk.get_by_role("button", name="Save").click()
        expect(desk.locator(".message-success")).to_be_visible()

        # The owner's open page learns it at once: badge and toast, no reload.
        expect(badge).to_have_attribute("data-count", "1", timeout=PUSH_MS)
        toast = home.locator("#toasts .toast")
        expect(toast.first).to_have_text(
            "Les Tilleuls : Coupure d'eau mardi", timeout=PUSH_MS
        )

        # The manager records a works and posts an update with a photo.
        desk.goto(f"/r/{slug}/works/new/")
        desk.get_by_label("Title").fill("Ravalement de la façade")
        desk.get_by_label("Status:", exact=True).select_option("in_progress")
        desk.get_by_label("Contractor").fill("Façades du Rhône")
        desk.get_by_role("button", name="Save").click()
        expect(desk.locator("h1")).to_have_text("Ravalement de la façade")
        desk.get_by_role("link", name="Post an update").click()
        desk.get_by_label("What happened").fill("Échafaudage monté côté rue.")
        desk.get_by_label("Progress after this update (%)").fill("25")
        desk.get_by_label("Photos:", exact=True).set_input_files(str(_photo(tmp_path)))
        desk.get_by_role("button", name="Post the update").click()
        expect(desk.locator(".message-success")).to_be_visible()

        expect(badge).to_have_attribute("data-count", "2", timeout=PUSH_MS)
        expect(toast).to_have_count(2, timeout=PUSH_MS)
        expect(toast.nth(1)).to_contain_text("Ravalement de la façade")

        # The dashboard shows both; the notification centre lists both.
        home.reload()
        main = home.locator("main")
        expect(main.get_by_role("link", name="Coupure d'eau mardi")).to_be_visible()
        expect(main.get_by_role("link", name="Ravalement de la façade")).to_be_visible()
        expect(main).to_contain_text("25 %")
        home.goto("/notifications/")
        expect(home.locator(".notification")).to_have_count(2)

        # The works page shows the photo, served through the access check.
        home.goto(f"/r/{slug}/works/")
        home.get_by_role("link", name="Ravalement de la façade").first.click()
        image = home.locator("main img").first
        expect(image).to_be_visible()
        image.scroll_into_view_if_needed()  # lazy images load when near the screen
        home.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
        assert home.errors == [] and desk.errors == []
    finally:
        owner_context.close()
        manager_context.close()

    mails = _mails(tmp_path)
    assert f"To: {owner.email}" in mails
    assert "Coupure d'eau mardi" in mails
    assert "Ravalement de la fa" in mails
