"""Upload checks: by content, size and pixels; images come back without metadata."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from copro.lib import uploads


def _jpeg_with_gps(size=(64, 48), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (45.0, 45.0, 30.0)
    gps[3] = "E"
    gps[4] = (4.0, 50.0, 10.0)
    if orientation:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _image(fmt: str, size=(40, 30), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, fmt)
    return buffer.getvalue()


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_a_photo_loses_its_exif_and_gps():
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    cleaned = uploads.clean_image(_upload("IMG_0001.JPG", original))
    stored = Image.open(io.BytesIO(cleaned.image.read()))
    assert stored.format == "JPEG"
    assert not stored.getexif()
    assert "exif" not in stored.info
    thumbnail = Image.open(io.BytesIO(cleaned.thumbnail.read()))
    assert not thumbnail.getexif()
    assert (cleaned.width, cleaned.height) == (64, 48)
    assert cleaned.original_name == "IMG_0001.JPG"


def test_the_orientation_is_applied_before_the_tag_is_dropped():
    # Orientation 6: the camera was turned; the stored pixels are turned upright.
    cleaned = uploads.clean_image(_upload("p.jpg", _jpeg_with_gps(orientation=6)))
    assert (cleaned.width, cleaned.height) == (48, 64)


def test_big_photos_are_scaled_down_and_get_a_small_thumbnail():
    cleaned = uploads.clean_image(_upload("big.png", _image("PNG", (4000, 1000))))
    assert (cleaned.width, cleaned.height) == (2560, 640)
    thumbnail = Image.open(io.BytesIO(cleaned.thumbnail.read()))
    assert max(thumbnail.size) == 480


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("WEBP", "webp")])
def test_png_and_webp_keep_their_format(fmt, ext):
    cleaned = uploads.clean_image(_upload(f"x.{ext}", _image(fmt, mode="RGBA")))
    assert cleaned.image.name.endswith(f".{ext}")
    assert Image.open(io.BytesIO(cleaned.image.read())).format == fmt


def test_a_text_file_named_like_a_photo_is_refused_by_name():
    with pytest.raises(ValidationError) as error:
        uploads.clean_image(_upload("vacances.jpg", b"not an image at all"))
    assert error.value.code == "not_an_image"
    assert "vacances.jpg" in error.value.messages[0]


def test_other_image_formats_are_refused():
    with pytest.raises(ValidationError) as error:
        uploads.clean_image(_upload("scan.gif", _image("GIF")))
    assert error.value.code == "not_an_image"


def test_an_oversized_file_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_IMAGE_BYTES", 100)
    with pytest.raises(ValidationError) as error:
        uploads.clean_image(_upload("gros.jpg", _jpeg_with_gps()))
    assert error.value.code == "too_large"
    assert "gros.jpg" in error.value.messages[0]


def test_a_decompression_bomb_is_refused_before_decoding():
    bomb = _image("PNG", size=(10_000, 10_000), mode="1")
    assert len(bomb) < 100_000
    with pytest.raises(ValidationError) as error:
        uploads.clean_image(_upload("bomb.png", bomb))
    assert error.value.code == "too_many_pixels"


def test_a_truncated_image_is_refused():
    with pytest.raises(ValidationError):
        uploads.clean_image(_upload("cut.jpg", _jpeg_with_gps()[:200]))


def test_attachments_take_pdfs_by_signature_and_clean_images():
    pdf = uploads.clean_attachment(_upload("PV AG 2026.pdf", b"%PDF-1.7\n%..."))
    assert pdf.content_type == "application/pdf"
    assert pdf.original_name == "PV_AG_2026.pdf"
    photo = uploads.clean_attachment(_upload("plan.jpg", _jpeg_with_gps()))
    assert photo.content_type == "image/jpeg"
    assert not Image.open(io.BytesIO(photo.content.read())).getexif()


def test_attachments_refuse_anything_else():
    with pytest.raises(ValidationError) as error:
        uploads.clean_attachment(_upload("facture.pdf", b"MZ\x90\x00 an executable"))
    assert error.value.code == "bad_attachment"
    assert "facture.pdf" in error.value.messages[0]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("rapport final.pdf", "rapport_final.pdf"),
        (".htaccess", "htaccess"),
        ("", "file"),
    ],
)
def test_safe_names(name, expected):
    assert uploads.safe_name(name) == expected


def test_the_multiple_file_field_limits_the_count():
    field = uploads.MultipleFileField(max_files=2)
    files = [_upload(f"{n}.png", _image("PNG")) for n in range(3)]
    with pytest.raises(ValidationError):
        field.clean(files)
    assert len(field.clean(files[:2])) == 2
    with pytest.raises(ValidationError):
        field.clean([])
