"""Real image bytes made with Pillow, and the album fixtures the album tests share."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

GPS_IFD = 0x8825


def image_bytes(fmt: str = "JPEG", size=(64, 48), colour=(200, 30, 30), **save):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt, **save)
    return buffer.getvalue()


def jpeg_with_gps() -> bytes:
    """A JPEG carrying a camera model and a GPS position in its EXIF."""
    exif = Image.Exif()
    exif[0x0110] = "Pixel 9 Pro"  # Model
    exif[0x010F] = "Google"  # Make
    exif[GPS_IFD] = {
        1: "N",  # GPSLatitudeRef
        2: (45.0, 45.0, 30.0),  # GPSLatitude (Lyon)
        3: "E",
        4: (4.0, 50.0, 12.0),
    }
    return image_bytes("JPEG", size=(320, 240), exif=exif.tobytes())


def upload(name: str = "photo.jpg", content: bytes | None = None, fmt="JPEG"):
    content = image_bytes(fmt) if content is None else content
    types = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
    return SimpleUploadedFile(name, content, types.get(fmt, "image/jpeg"))


def stored_files(root: Path) -> set[str]:
    """Every file under MEDIA_ROOT, relative to it."""
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
