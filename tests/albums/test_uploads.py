"""Uploading photos: several at once, checked by content, re-encoded without EXIF;
one bad file refuses the whole upload and leaves nothing behind."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from albums import services
from albums.models import Photo

from ..conftest import login
from .images import image_bytes, jpeg_with_gps, stored_files, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def empty_album(world):
    return services.album_create(
        residence=world.home, created_by=world.user("council"), title="Fête de l'été"
    )


def _post(client, world, album, files):
    login(client, world.user("council"))
    return client.post(
        reverse("albums:upload", args=[world.home.slug, album.pk]), {"photos": files}
    )


def _open(field_file) -> Image.Image:
    with field_file.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def _errors(response) -> list[str]:
    return response.context["form"].errors["photos"]


def test_upload_several_real_images_at_once(world, client, empty_album, media):
    big = image_bytes("JPEG", size=(3000, 2000))
    response = _post(
        client,
        world,
        empty_album,
        [
            upload("grand-angle.jpg", big),
            upload("plan.png", image_bytes("PNG", size=(200, 100)), "PNG"),
            upload("portrait.webp", image_bytes("WEBP", size=(90, 160)), "WEBP"),
        ],
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "albums:detail", args=[world.home.slug, empty_album.pk]
    )
    photos = list(empty_album.photos.order_by("position"))
    assert [p.original_name for p in photos] == [
        "grand-angle.jpg",
        "plan.png",
        "portrait.webp",
    ]
    assert [p.position for p in photos] == [1, 2, 3]
    assert all(p.uploaded_by == world.user("council") for p in photos)
    # Scaled down to 2560 px, thumbnails to 480 px, as the page announces them.
    assert (photos[0].width, photos[0].height) == (2560, 1707)
    assert _open(photos[0].thumbnail).size == photos[0].thumbnail_size == (480, 320)
    assert [_open(p.image).format for p in photos] == ["JPEG", "PNG", "WEBP"]
    # Stored under random names in the private folder, never the uploaded name.
    for photo in photos:
        assert photo.image.name.startswith("private/albums/")
        assert "grand-angle" not in photo.image.name
    assert len(stored_files(Path(media))) == 6
    empty_album.refresh_from_db()
    assert empty_album.cover_id == photos[0].pk
    page = client.get(response["Location"])
    assert "3 photos added." in page.content.decode()
    assert len(page.context["page"].object_list) == 3


def test_jpeg_with_exif_gps_comes_back_without_any_exif(world, client, empty_album):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # it has GPS
    assert (
        _post(client, world, empty_album, [upload("gps.jpg", original)]).status_code
        == 302
    )
    photo = empty_album.photos.get()
    for stored in (photo.image, photo.thumbnail):
        image = _open(stored)
        assert "exif" not in image.info
        assert len(image.getexif()) == 0
        with stored.open("rb") as handle:
            raw = handle.read()
        assert b"Exif" not in raw and b"Pixel 9 Pro" not in raw
    # Served back through the scoped view, the bytes are still the clean ones.
    response = client.get(reverse("albums:photo", args=[world.home.slug, photo.pk]))
    served = b"".join(response.streaming_content)
    assert b"Exif" not in served
    assert response["Content-Type"] == "image/jpeg"


def test_png_and_webp_are_accepted(world, client, empty_album):
    response = _post(
        client,
        world,
        empty_album,
        [
            upload("a.png", image_bytes("PNG"), "PNG"),
            upload("b.webp", image_bytes("WEBP"), "WEBP"),
        ],
    )
    assert response.status_code == 302
    formats = [_open(p.image).format for p in empty_album.photos.order_by("position")]
    assert formats == ["PNG", "WEBP"]


def test_a_text_file_named_jpg_is_refused_with_its_name(world, client, empty_album):
    fake = upload("photo.jpg", b"Bonjour, ceci n'est pas une photo.\n" * 20)
    response = _post(client, world, empty_album, [fake])
    assert response.status_code == 200
    assert _errors(response) == [
        "photo.jpg is not a photo we can read: send a JPEG, PNG or WebP image."
    ]
    html = response.content.decode()
    assert "Nothing was added" in html and "photo.jpg is not a photo" in html
    assert not Photo.objects.exists()


def test_an_oversized_file_is_refused(world, client, empty_album, monkeypatch):
    monkeypatch.setattr("copro.lib.uploads.MAX_IMAGE_BYTES", 1000)
    big = upload("enorme.jpg", image_bytes("JPEG", size=(400, 400), quality=100))
    response = _post(client, world, empty_album, [big])
    assert response.status_code == 200
    [message] = _errors(response)
    assert message.startswith("enorme.jpg is too large")
    assert "the limit is 1000" in message
    assert not Photo.objects.exists()


def test_a_decompression_bomb_is_refused(world, client, empty_album):
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < 100_000  # tiny file, 100 million pixels
    response = _post(
        client, world, empty_album, [upload("bombe.png", buffer.getvalue(), "PNG")]
    )
    assert response.status_code == 200
    assert _errors(response) == ["bombe.png has too many pixels: send a smaller photo."]
    assert not Photo.objects.exists()


def test_one_bad_file_among_several_stores_nothing(world, client, empty_album, media):
    assert stored_files(Path(media)) == set()
    response = _post(
        client,
        world,
        empty_album,
        [
            upload("bonne-1.jpg"),
            upload("faux.jpg", b"%PDF-1.7 not an image"),
            upload("bonne-2.png", image_bytes("PNG"), "PNG"),
            upload("vide.jpg", b"\xff\xd8\xff"),
        ],
    )
    assert response.status_code == 200
    errors = _errors(response)
    assert len(errors) == 2
    assert errors[0].startswith("faux.jpg ") and errors[1].startswith("vide.jpg ")
    assert not Photo.objects.exists()
    assert stored_files(Path(media)) == set()
    empty_album.refresh_from_db()
    assert empty_album.cover_id is None


def test_files_written_before_a_failed_save_are_deleted(
    world, empty_album, media, monkeypatch
):
    """If storage fails half-way (disk full), the files already written go too and
    no row is left."""
    from django.core.files.storage import FileSystemStorage

    real_save = FileSystemStorage._save
    writes = []

    def disk_full_on_third_write(self, name, content):
        writes.append(name)
        if len(writes) == 3:
            raise OSError(28, "No space left on device")
        return real_save(self, name, content)

    # A fault injected at Django's storage boundary, not in our code.
    monkeypatch.setattr(FileSystemStorage, "_save", disk_full_on_third_write)
    with pytest.raises(OSError, match="No space left"):
        services.photos_upload(
            album=empty_album,
            uploaded_by=world.user("council"),
            files=[upload("a.jpg"), upload("b.jpg"), upload("c.jpg")],
        )
    assert len(writes) == 3
    assert not Photo.objects.exists()
    assert stored_files(Path(media)) == set()


def test_more_than_twenty_files_are_refused(world, client, empty_album, media):
    files = [upload(f"{n}.jpg") for n in range(21)]
    response = _post(client, world, empty_album, files)
    assert response.status_code == 200
    assert _errors(response) == ["Send at most 20 files at once."]
    assert not Photo.objects.exists()
    assert stored_files(Path(media)) == set()


def test_no_file_at_all_is_refused(world, client, empty_album):
    response = _post(client, world, empty_album, [])
    assert response.status_code == 200
    assert _errors(response)
    assert not Photo.objects.exists()


def test_uploads_append_after_the_last_photo(world, client, empty_album):
    _post(client, world, empty_album, [upload("1.jpg"), upload("2.jpg")])
    _post(client, world, empty_album, [upload("3.jpg")])
    photos = empty_album.photos.order_by("position")
    assert [(p.position, p.original_name) for p in photos] == [
        (1, "1.jpg"),
        (2, "2.jpg"),
        (3, "3.jpg"),
    ]
    empty_album.refresh_from_db()
    assert empty_album.cover.original_name == "1.jpg"  # the first upload's first


def test_the_upload_form_is_accessible(world, client, empty_album):
    login(client, world.user("council"))
    html = client.get(
        reverse("albums:upload", args=[world.home.slug, empty_album.pk])
    ).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert '<label for="id_photos">' in html
    assert "multiple" in html and 'accept="image/jpeg,image/png,image/webp"' in html
