"""Announcement attachments: checked on upload, served only to those who may read."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from life import services
from life.models import Announcement, AnnouncementAttachment, Audience

from ..conftest import MATRIX_ARGS, login, matrix_cells

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _photo_with_gps() -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8825)[2] = (45.0, 45.0, 30.0)
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (20, 90, 160)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _form(**extra):
    return {
        "title": "Travaux du hall",
        "body": "Voici le **plan**.",
        "audience": Audience.EVERYONE,
        "publish_at": (timezone.now() - timedelta(minutes=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        **extra,
    }


def _publish_with_files(client, world, *files, persona="council"):
    login(client, world.user(persona))
    return client.post(
        reverse("life:announcement_new", args=[world.home.slug]),
        _form(uploads=list(files)),
    )


def _stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


def test_publishing_with_a_photo_and_a_pdf(world, client, _media):
    response = _publish_with_files(
        client,
        world,
        SimpleUploadedFile("hall.jpg", _photo_with_gps()),
        SimpleUploadedFile("Plan du hall.pdf", PDF),
    )
    assert response.status_code == 302
    photo, pdf = AnnouncementAttachment.objects.order_by("pk")
    assert (
        photo.is_image
        and photo.thumbnail
        and (photo.width, photo.height)
        == (
            300,
            200,
        )
    )
    assert pdf.original_name == "Plan_du_hall.pdf" and not pdf.thumbnail
    stored = Image.open(photo.file.path)
    assert not stored.getexif()  # GPS gone
    assert len(_stored_files(_media)) == 3  # photo, its thumbnail, the PDF

    login(client, world.user("tenant"))
    detail = client.get(photo.announcement.get_absolute_url()).content.decode()
    assert (
        reverse(
            "life:announcement_thumbnail",
            args=[world.home.slug, photo.announcement_id, photo.pk],
        )
        in detail
    )
    assert "Plan_du_hall.pdf" in detail
    download = client.get(
        reverse(
            "life:announcement_file",
            args=[world.home.slug, pdf.announcement_id, pdf.pk],
        )
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"


def test_one_bad_file_refuses_all_and_keeps_nothing(world, client, _media):
    response = _publish_with_files(
        client,
        world,
        SimpleUploadedFile("hall.jpg", _photo_with_gps()),
        SimpleUploadedFile("virus.pdf", b"MZ\x90\x00not a pdf"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "virus.pdf" in page
    assert 'value="Travaux du hall"' in page  # what was typed is kept
    assert not Announcement.objects.exists()
    assert not AnnouncementAttachment.objects.exists()
    assert _stored_files(_media) == []


def test_editors_remove_an_attachment_and_its_files(world, client, _media):
    _publish_with_files(
        client, world, SimpleUploadedFile("hall.jpg", _photo_with_gps())
    )
    attachment = AnnouncementAttachment.objects.get()
    announcement = attachment.announcement
    form = _form(remove_attachments=[attachment.pk])
    form["publish_at"] = timezone.localtime(announcement.publish_at).strftime(
        "%Y-%m-%dT%H:%M"
    )
    with pytest.MonkeyPatch.context():
        response = client.post(
            reverse("life:announcement_edit", args=[world.home.slug, announcement.pk]),
            form,
        )
    assert response.status_code == 302
    assert not AnnouncementAttachment.objects.exists()


def _attachment(world, audience=Audience.EVERYONE, **data):
    from copro.lib.uploads import clean_attachment

    return services.announcement_publish(
        residence=world.home,
        author=world.user("manager"),
        title="Note",
        body="Texte",
        audience=audience,
        attachments=[clean_attachment(SimpleUploadedFile("n.pdf", PDF))],
        **data,
    ).attachments.get()


# anonymous outsider tenant owner council president staff manager other_staff
READ = [302, 404, 200, 200, 200, 200, 200, 200, 404]
COUNCIL_ONLY = [302, 404, 404, 404, 200, 200, 200, 200, 404]
SCHEDULED = [302, 404, 404, 404, 200, 200, 200, 200, 404]

VIEWS = [
    ("everyone", "get", lambda w, a: [w.home.slug, a.announcement_id, a.pk], READ),
    (
        "council",
        "get",
        lambda w, a: [w.home.slug, a.announcement_id, a.pk],
        COUNCIL_ONLY,
    ),
    (
        "scheduled",
        "get",
        lambda w, a: [w.home.slug, a.announcement_id, a.pk],
        SCHEDULED,
    ),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    data = {
        "everyone": {},
        "council": {"audience": Audience.COUNCIL},
        "scheduled": {"publish_at": timezone.now() + timedelta(days=2)},
    }[name]
    attachment = _attachment(world, **data)
    response = as_persona(persona).get(
        reverse("life:announcement_file", args=args(world, attachment))
    )
    assert response.status_code == expected


def test_an_attachment_is_not_reachable_through_another_announcement(world, as_persona):
    attachment = _attachment(world)
    other = services.announcement_publish(
        residence=world.home, author=world.user("manager"), title="x", body="y"
    )
    url = reverse(
        "life:announcement_file", args=[world.home.slug, other.pk, attachment.pk]
    )
    assert as_persona("owner").get(url).status_code == 404


def test_a_pdf_has_no_thumbnail(world, as_persona):
    attachment = _attachment(world)
    url = reverse(
        "life:announcement_thumbnail",
        args=[world.home.slug, attachment.announcement_id, attachment.pk],
    )
    assert as_persona("owner").get(url).status_code == 404


@pytest.mark.parametrize("count", [1, 12])
def test_the_list_queries_stay_constant(
    world, client, count, django_assert_max_num_queries
):
    for _ in range(count):
        _attachment(world)
    login(client, world.user("owner"))
    url = reverse("life:announcements", args=[world.home.slug])
    client.get(url)  # the first visit also records the residence in the session
    # session, user, standing, count, page of announcements, their attachments,
    # unread badge, residence switcher
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.content.decode().count("n.pdf") == min(count, 10)
