"""Demo data: one album per residence, with photos drawn by Pillow (no external files).

The photos go through the same upload service as real ones (`clean_image`), so the
stored demo files are re-encoded JPEGs with thumbnails, like any upload.
"""

from __future__ import annotations

import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from residents.models import Residence, User

from . import services
from .models import Album

TITLE = "Fête des voisins 2026"
DESCRIPTION = (
    "Merci à toutes et à tous d'être venus dans la cour pour la fête des voisins ! "
    "Quelques souvenirs du buffet, des jeux des enfants et du concert improvisé."
)
PRESIDENTS = {
    "les-tilleuls": "president.tilleuls@copro.demo",
    "clos-des-vignes": "president.vignes@copro.demo",
}
# (file name, caption, top colour, bottom colour)
PHOTOS = [
    ("buffet.jpg", "Le buffet partagé dans la cour", (250, 200, 120), (200, 90, 60)),
    (
        "guirlandes.jpg",
        "Les guirlandes installées par le conseil",
        (40, 50, 110),
        (120, 60, 140),
    ),  # fmt: skip
    (
        "jeux.jpg",
        "Les jeux des enfants sur la pelouse",
        (120, 190, 240),
        (70, 150, 70),
    ),  # fmt: skip
    (
        "concert.jpg",
        "Le concert improvisé au coucher du soleil",
        (240, 150, 80),
        (60, 30, 80),
    ),  # fmt: skip
]


def seed(residences: dict[str, Residence]) -> None:
    """Create the demo album in each residence, once (users may edit or remove it)."""
    for slug, residence in residences.items():
        email = PRESIDENTS.get(slug)
        if email is None:
            continue
        if Album.history.filter(residence_id=residence.pk, title=TITLE).exists():
            continue
        president = User.objects.filter(email=email).first()
        album = services.album_create(
            residence=residence,
            created_by=president,
            title=TITLE,
            description=DESCRIPTION,
            taken_on=date(2026, 5, 29),
        )
        uploads = [
            SimpleUploadedFile(name, _drawing(index, top, bottom), "image/jpeg")
            for index, (name, _caption, top, bottom) in enumerate(PHOTOS)
        ]
        photos = services.photos_upload(
            album=album, uploaded_by=president, files=uploads
        )
        for photo, (_name, caption, _top, _bottom) in zip(photos, PHOTOS, strict=True):
            services.photo_update(
                photo=photo, caption=caption, make_cover=album.cover_id == photo.pk
            )


def _drawing(index: int, top: tuple, bottom: tuple) -> bytes:
    """A 1200×800 JPEG: a vertical gradient with a few simple shapes."""
    width, height = 1200, 800
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / (height - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)
    # A lawn, a few lanterns or balloons, and a table: enough to tell photos apart.
    draw.rectangle([0, 620, width, height], fill=(70, 120, 60))
    for n in range(5 + index):
        x = 120 + n * (960 // (4 + index))
        draw.ellipse(
            [x - 40, 150 + 30 * (n % 3), x + 40, 230 + 30 * (n % 3)],
            fill=((n * 70 + index * 40) % 255, 200 - n * 20, 90 + index * 30),
        )
        draw.line([(x, 230 + 30 * (n % 3)), (x, 360)], fill=(240, 240, 240), width=3)
    draw.rectangle([380, 520, 820, 600], fill=(150, 100, 60))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()
