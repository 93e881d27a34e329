"""Works tests: uploaded photos go to a private, temporary media folder."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from copro.lib.uploads import clean_image
from works import services
from works.models import WorksStatus


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg_with_gps(size=(64, 48), colour=(200, 30, 30)) -> bytes:
    """A real JPEG whose EXIF holds a camera and a GPS position."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone 12"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (45.0, 45.0, 30.0)
    gps[3] = "E"
    gps[4] = (4.0, 50.0, 10.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def make_works(world, *, residence=None, by="manager", **data):
    defaults = {
        "title": "Ravalement de la façade",
        "description": "Nettoyage puis **peinture**.",
        "contractor": "Façades Durand",
        "status": WorksStatus.IN_PROGRESS,
        "progress": 10,
    }
    return services.works_save(
        residence=residence or world.home, by=world.user(by), **{**defaults, **data}
    )


def post_update(world, works, *, author="manager", photos=(), **data):
    cleaned = [clean_image(upload(name, content)) for name, content in photos]
    return services.works_post_update(
        works=works,
        author=world.user(author),
        text=data.pop("text", "Échafaudages montés."),
        photos=cleaned,
        **data,
    )


def in_english(user):
    """Pages speak the reader's language: text assertions read the English."""
    user.language = "en"
    user.save(update_fields=["language"])
    return user
