"""Album pages: who sees and manages what, album and photo forms, query counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from albums import selectors, services
from albums.models import Album, Photo
from residents.access import standing

from ..conftest import MATRIX_ARGS, login, matrix_cells
from .images import stored_files, upload

pytestmark = pytest.mark.django_db

# anonymous outsider tenant owner council president staff manager other_staff
READ = [302, 404, 200, 200, 200, 200, 200, 200, 404]
READ_POST = [302, 404, 405, 405, 405, 405, 405, 405, 404]
MANAGE = [302, 404, 403, 403, 200, 200, 200, 200, 404]
MANAGE_POST = [302, 404, 403, 403, 302, 302, 302, 302, 404]


def _album(world, p):
    return [world.home.slug, p.album_id]


def _photo(world, p):
    return [world.home.slug, p.pk]


VIEWS = [
    ("albums:list", "get", lambda w, p: [w.home.slug], READ),
    ("albums:detail", "get", _album, READ),
    ("albums:photo", "get", _photo, READ),
    ("albums:photo", "post", _photo, READ_POST),
    ("albums:thumbnail", "get", _photo, READ),
    ("albums:new", "get", lambda w, p: [w.home.slug], MANAGE),
    ("albums:new", "post", lambda w, p: [w.home.slug], MANAGE_POST),
    ("albums:edit", "get", _album, MANAGE),
    ("albums:edit", "post", _album, MANAGE_POST),
    ("albums:upload", "get", _album, MANAGE),
    ("albums:upload", "post", _album, MANAGE_POST),
    ("albums:photo_edit", "get", _photo, MANAGE),
    ("albums:photo_edit", "post", _photo, MANAGE_POST),
    ("albums:photo_delete", "get", _photo, MANAGE),
    ("albums:photo_delete", "post", _photo, MANAGE_POST),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(
    world, as_persona, photo, media, name, method, args, persona, expected
):
    files_before = stored_files(Path(media))
    client = as_persona(persona)
    data = {
        "title": "Changed",
        "description": "",
        "caption": "Changed",
        "make_cover": "on",
        "photos": upload("new.jpg"),
    }
    response = getattr(client, method)(reverse(name, args=args(world, photo)), data)
    assert response.status_code == expected
    if name in ("albums:photo", "albums:thumbnail") and expected == 200:
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    if method == "post" and expected != 302:
        photo.refresh_from_db()
        assert photo.caption == ""
        assert Photo.objects.count() == 1
        album = Album.objects.get()
        assert album.title == "Ravalement de la façade"
        assert album.cover_id == photo.pk
        assert stored_files(Path(media)) == files_before


def test_council_only_albums_are_invisible_to_residents(world, as_persona, photo):
    secret = services.album_create(
        residence=world.home,
        created_by=world.user("council"),
        title="Visite du couvreur",
        council_only=True,
    )
    [hidden] = services.photos_upload(
        album=secret, uploaded_by=world.user("council"), files=[upload("toit.jpg")]
    )
    slug = world.home.slug
    list_url = reverse("albums:list", args=[slug])
    urls = [
        reverse("albums:detail", args=[slug, secret.pk]),
        reverse("albums:photo", args=[slug, hidden.pk]),
        reverse("albums:thumbnail", args=[slug, hidden.pk]),
    ]
    for persona in ("tenant", "owner"):
        client = as_persona(persona)
        titles = {a.title for a in client.get(list_url).context["page"]}
        assert titles == {"Ravalement de la façade"}
        assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    for persona in ("council", "president", "staff", "manager"):
        client = as_persona(persona)
        titles = {a.title for a in client.get(list_url).context["page"]}
        assert titles == {"Ravalement de la façade", "Visite du couvreur"}
        assert [client.get(url).status_code for url in urls] == [200, 200, 200]


def test_photos_of_another_residence_are_404_even_under_my_residence(
    world, as_persona, photo
):
    """The photo is scoped through its album's residence, not just its id."""
    foreign = services.album_create(
        residence=world.other, created_by=world.user("outsider"), title="Ailleurs"
    )
    [theirs] = services.photos_upload(
        album=foreign, uploaded_by=world.user("outsider"), files=[upload()]
    )
    client = as_persona("manager")
    for name in ("albums:photo", "albums:thumbnail", "albums:photo_edit"):
        url = reverse(name, args=[world.home.slug, theirs.pk])
        assert client.get(url).status_code == 404
    assert (
        client.get(reverse("albums:detail", args=[world.home.slug, foreign.pk]))
    ).status_code == 404
    outsider = as_persona("outsider")
    for name in ("albums:photo", "albums:thumbnail"):
        assert (
            outsider.get(reverse(name, args=[world.home.slug, photo.pk])).status_code
            == 404
        )
        # ...and naming their own residence does not reach our photo either.
        assert (
            outsider.get(reverse(name, args=[world.other.slug, photo.pk])).status_code
            == 404
        )


def test_create_then_edit_an_album(world, client):
    login(client, world.user("council"))
    response = client.post(
        reverse("albums:new", args=[world.home.slug]),
        {
            "title": "Travaux de la toiture",
            "description": "Suivi du chantier, semaine après semaine.",
            "taken_on": "2026-03-14",
            "council_only": "on",
        },
    )
    album = Album.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "albums:detail", args=[world.home.slug, album.pk]
    )
    assert album.council_only
    assert album.created_by == world.user("council")
    assert str(album.taken_on) == "2026-03-14"
    client.post(
        reverse("albums:edit", args=[world.home.slug, album.pk]),
        {"title": "Toiture (2026)", "description": "", "taken_on": ""},
    )
    album.refresh_from_db()
    assert (album.title, album.council_only, album.taken_on) == (
        "Toiture (2026)",
        False,
        None,
    )
    assert album.history.count() == 2


def test_bad_album_input_rerenders_with_what_was_typed(world, client):
    login(client, world.user("council"))
    response = client.post(
        reverse("albums:new", args=[world.home.slug]),
        {
            "title": "",
            "description": "Les plantations du printemps",
            "taken_on": "32/13",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "title" in errors and "taken_on" in errors
    assert "Les plantations du printemps" in response.content.decode()
    assert not Album.objects.exists()


def test_caption_is_alt_text_with_a_translated_default(world, client, photo):
    login(client, world.user("owner"))
    detail = reverse("albums:detail", args=[world.home.slug, photo.album_id])
    html = client.get(detail).content.decode()
    assert 'alt="Photo 1 of album Ravalement de la façade"' in html
    assert 'loading="lazy"' in html
    assert f'width="{photo.thumbnail_width}" height="{photo.thumbnail_height}"' in html
    login(client, world.user("president"))
    response = client.post(
        reverse("albums:photo_edit", args=[world.home.slug, photo.pk]),
        {"caption": "L'échafaudage côté rue", "make_cover": "on"},
    )
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.caption == "L'échafaudage côté rue"
    html = client.get(detail).content.decode()
    assert 'alt="L&#x27;échafaudage côté rue"' in html


def test_set_and_unset_the_cover(world, client, album, photo):
    second, third = services.photos_upload(
        album=album,
        uploaded_by=world.user("council"),
        files=[upload("b.jpg"), upload("c.jpg")],
    )
    assert [p.position for p in (photo, second, third)] == [1, 2, 3]
    login(client, world.user("manager"))
    edit = reverse("albums:photo_edit", args=[world.home.slug, third.pk])
    assert client.get(edit).context["form"]["make_cover"].value() is False
    client.post(edit, {"caption": "", "make_cover": "on"})
    album.refresh_from_db()
    assert album.cover_id == third.pk
    assert client.get(edit).context["form"]["make_cover"].value() is True
    client.post(edit, {"caption": ""})  # unticked: no cover any more
    album.refresh_from_db()
    assert album.cover_id is None


def test_a_cover_must_belong_to_its_album(world, album, photo):
    other = services.album_create(
        residence=world.home, created_by=world.user("council"), title="Autre"
    )
    other.cover = photo
    with pytest.raises(Exception, match="cover"):
        other.full_clean()


def test_delete_photo_after_confirmation_removes_row_and_files(
    world, client, album, photo, media, django_capture_on_commit_callbacks
):
    [second] = services.photos_upload(
        album=album, uploaded_by=world.user("council"), files=[upload("b.jpg")]
    )
    login(client, world.user("council"))
    url = reverse("albums:photo_delete", args=[world.home.slug, photo.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "facade.jpg" in page.content.decode()
    assert Photo.objects.count() == 2  # GET only asks
    names = {photo.image.name, photo.thumbnail.name}
    assert names <= stored_files(Path(media))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert list(Photo.objects.all()) == [second]
    assert not names & stored_files(Path(media))
    album.refresh_from_db()
    assert album.cover_id == second.pk  # the cover moved to the remaining photo
    assert album.history.filter(cover_id=second.pk).exists()


def test_list_query_count_is_constant(
    world, client, photo, django_assert_max_num_queries
):
    login(client, world.user("owner"))
    url = reverse("albums:list", args=[world.home.slug])
    client.get(url)  # the first visit also writes the session
    # session, user, standing, count, albums with covers and counts, badge, switcher
    with django_assert_max_num_queries(7):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 1
    for n in range(20):
        album = services.album_create(
            residence=world.home, created_by=world.user("council"), title=f"A{n}"
        )
        services.photos_upload(
            album=album, uploaded_by=world.user("council"), files=[upload()]
        )
    with django_assert_max_num_queries(7):
        response = client.get(url)
    albums = list(response.context["page"])
    assert len(albums) == 12
    assert all(a.photo_count == 1 and a.cover for a in albums)


def test_detail_query_count_is_constant(
    world, client, album, photo, django_assert_max_num_queries
):
    login(client, world.user("owner"))
    url = reverse("albums:detail", args=[world.home.slug, album.pk])
    client.get(url)  # the first visit also writes the session
    # session, user, standing, album, photo count, photos, badge, switcher
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 1
    services.photos_upload(
        album=album,
        uploaded_by=world.user("council"),
        files=[upload(f"p{n}.jpg") for n in range(20)],
    )
    services.photos_upload(
        album=album,
        uploaded_by=world.user("council"),
        files=[upload(f"q{n}.jpg") for n in range(20)],
    )
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 40
    assert response.context["page"].paginator.num_pages == 2


def test_photo_file_query_count(world, client, photo, django_assert_max_num_queries):
    login(client, world.user("tenant"))
    url = reverse("albums:thumbnail", args=[world.home.slug, photo.pk])
    client.get(url)
    with django_assert_max_num_queries(4):  # session, user, standing, photo
        response = client.get(url)
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_dashboard_latest_photos_respects_council_only_in_one_query(
    world, album, photo, django_assert_num_queries
):
    secret = services.album_create(
        residence=world.home,
        created_by=world.user("council"),
        title="Conseil",
        council_only=True,
    )
    services.photos_upload(
        album=secret, uploaded_by=world.user("council"), files=[upload("s.jpg")]
    )
    services.photos_upload(
        album=album,
        uploaded_by=world.user("council"),
        files=[upload(f"{n}.jpg") for n in range(20)],
    )
    tenant = standing(world.user("tenant"), world.home.slug)
    council = standing(world.user("council"), world.home.slug)
    with django_assert_num_queries(1):
        latest = selectors.dashboard_latest_photos(tenant)
        alts = [p.alt_text for p in latest]  # album already loaded
    assert len(latest) == 4
    assert all(p.album_id == album.pk for p in latest)
    assert alts[0].startswith("Photo 21 of album")
    assert selectors.dashboard_latest_photos(council, n=25)[0].album_id in {
        album.pk,
        secret.pk,
    }
    assert len(selectors.dashboard_latest_photos(council, n=25)) == 22
    assert len(selectors.dashboard_latest_photos(tenant, n=25)) == 21


def test_too_long_caption_rerenders_and_saves_nothing(world, client, photo):
    login(client, world.user("council"))
    typed = "Une très longue légende " * 20
    response = client.post(
        reverse("albums:photo_edit", args=[world.home.slug, photo.pk]),
        {"caption": typed},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["caption"]
    assert typed.strip() in response.content.decode()
    photo.refresh_from_db()
    assert photo.caption == ""


def test_dashboard_widget_partial_renders_latest_photos(world, album, photo):
    from django.template.loader import render_to_string

    owner = standing(world.user("owner"), world.home.slug)
    html = render_to_string(
        "albums/_latest_photos.html",
        {
            "latest_photos": selectors.dashboard_latest_photos(owner),
            "standing": owner,
        },
    )
    thumbnail = reverse("albums:thumbnail", args=[world.home.slug, photo.pk])
    assert f'src="{thumbnail}"' in html
    assert 'alt="Photo 1 of album Ravalement de la façade"' in html
