"""The back office's album screens, and the demo album."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from albums import demo, services
from albums.models import Album, Photo

from ..factories import make_residence, make_user
from .images import stored_files, upload

pytestmark = pytest.mark.django_db


def test_staff_see_and_edit_their_residences_albums(world, as_persona, album, photo):
    foreign = services.album_create(
        residence=world.other, created_by=world.user("outsider"), title="Ailleurs"
    )
    client = as_persona("staff")
    response = client.get(reverse("backoffice:albums_album_changelist"))
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [(a.title, a.photo_count) for a in rows] == [("Ravalement de la façade", 1)]
    change = reverse("backoffice:albums_album_change", args=[album.pk])
    page = client.get(change)
    assert page.status_code == 200
    thumbnail = reverse("albums:thumbnail", args=[world.home.slug, photo.pk])
    assert f'src="{thumbnail}"' in page.content.decode()
    assert client.get(thumbnail).status_code == 200
    response = client.post(
        change,
        {
            "title": "Façade (ravalement)",
            "description": "",
            "taken_on": "",
            "council_only": "on",
            "photos-TOTAL_FORMS": "1",
            "photos-INITIAL_FORMS": "1",
            "photos-MIN_NUM_FORMS": "0",
            "photos-MAX_NUM_FORMS": "1000",
            "photos-0-id": str(photo.pk),
            "photos-0-album": str(album.pk),
        },
    )
    assert response.status_code == 302
    album.refresh_from_db()
    assert (album.title, album.council_only) == ("Façade (ravalement)", True)
    assert Photo.objects.count() == 1
    foreign_change = reverse("backoffice:albums_album_change", args=[foreign.pk])
    assert client.get(foreign_change).status_code == 302  # "does not exist" → index


def test_other_syndics_staff_cannot_reach_the_album(world, as_persona, album):
    client = as_persona("other_staff")
    change = reverse("backoffice:albums_album_change", args=[album.pk])
    assert client.post(change, {"title": "Piraté"}).status_code == 302
    album.refresh_from_db()
    assert album.title == "Ravalement de la façade"
    listing = client.get(reverse("backoffice:albums_album_changelist"))
    assert list(listing.context["cl"].result_list) == []


def test_changelist_query_count_is_constant(world, as_persona, album):
    """As many queries with 21 albums as with one. (The total also counts the other
    apps' sidebar entries, so the bound is taken from the one-album page.)"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_persona("manager")
    url = reverse("backoffice:albums_album_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(20):
        services.album_create(
            residence=world.home, created_by=world.user("council"), title=f"A{n}"
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 21
    assert len(many) == len(one)


def test_demo_seed_creates_one_album_per_residence_once(media):
    residences = {
        "les-tilleuls": make_residence(name="Résidence Les Tilleuls"),
        "clos-des-vignes": make_residence(name="Le Clos des Vignes"),
    }
    presidents = {
        "les-tilleuls": make_user("president.tilleuls@copro.demo"),
        "clos-des-vignes": make_user("president.vignes@copro.demo"),
    }
    demo.seed(residences)
    files = stored_files(Path(media))
    demo.seed(residences)  # idempotent
    assert stored_files(Path(media)) == files
    assert len(files) == 2 * 4 * 2  # photo + thumbnail, 4 per album
    for slug, residence in residences.items():
        album = Album.objects.get(residence=residence)
        assert album.title == "Fête des voisins 2026"
        assert album.created_by == presidents[slug]
        photos = list(album.photos.order_by("position"))
        assert len(photos) == 4
        assert album.cover_id == photos[0].pk
        assert all(p.uploaded_by == presidents[slug] and p.caption for p in photos)
        with photos[0].image.open("rb") as handle:
            image = Image.open(io.BytesIO(handle.read()))
            assert image.format == "JPEG" and "exif" not in image.info
    # An album the council renamed is not recreated.
    Album.objects.filter(residence=residences["les-tilleuls"]).update(title="Fête")
    demo.seed(residences)
    assert Album.objects.count() == 2


def test_the_album_page_of_a_demo_like_upload_links_full_images(
    world, client, album, photo
):
    from ..conftest import login

    services.photos_upload(
        album=album, uploaded_by=world.user("council"), files=[upload("x.png")]
    )
    login(client, world.user("tenant"))
    html = client.get(
        reverse("albums:detail", args=[world.home.slug, album.pk])
    ).content.decode()
    full = reverse("albums:photo", args=[world.home.slug, photo.pk])
    assert f'<a href="{full}">' in html
    assert "private/albums" not in html  # storage paths never reach the page
