"""Posting updates: photos cleaned by content, progress moved, followers notified."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from notifications.models import Notification
from works import services
from works.models import WorksFollow, WorksPhoto, WorksStatus, WorksUpdate

from ..conftest import login
from .conftest import in_english, jpeg_with_gps, make_works, png, post_update, upload

pytestmark = pytest.mark.django_db

HOME_PEOPLE = ("tenant", "owner", "council", "president", "staff", "manager")


def _post(client, world, works, photos=(), **data):
    payload = {"text": "Échafaudages montés côté rue.", "progress": "25", **data}
    if photos:
        payload["photos"] = [upload(name, content) for name, content in photos]
    return client.post(
        reverse("works:update_new", args=[world.home.slug, works.pk]), payload
    )


def _stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_an_update_with_photos_moves_the_works_and_strips_exif(world, client):
    works = make_works(world)
    login(client, world.user("council"))
    response = _post(
        client,
        world,
        works,
        photos=[("IMG_0001.JPG", jpeg_with_gps()), ("plan.png", png())],
        status=WorksStatus.SUSPENDED,
        caption="La façade côté rue",
    )
    assert response.status_code == 302
    assert response.url == reverse("works:detail", args=[world.home.slug, works.pk])
    works.refresh_from_db()
    assert (works.progress, works.status) == (25, WorksStatus.SUSPENDED)
    assert works.history.count() == 2  # the update's change is in the history
    update = WorksUpdate.objects.get()
    assert update.author == world.user("council")
    assert (update.progress, update.status) == (25, WorksStatus.SUSPENDED)
    jpeg, png_photo = update.photos.order_by("pk")
    assert jpeg.original_name == "IMG_0001.JPG"
    assert (jpeg.width, jpeg.height) == (64, 48)
    assert jpeg.caption == "La façade côté rue"
    assert jpeg.image.name.startswith("private/works/")
    assert "IMG_0001" not in jpeg.image.name  # stored under a random name

    login(client, world.user("tenant"))
    for name in ("works:photo", "works:photo_thumb"):
        response = client.get(reverse(name, args=[world.home.slug, works.pk, jpeg.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, max-age=3600"
        served = Image.open(io.BytesIO(_body(response)))
        assert served.format == "JPEG"
        assert not served.getexif()
    response = client.get(
        reverse("works:photo", args=[world.home.slug, works.pk, png_photo.pk])
    )
    assert Image.open(io.BytesIO(_body(response))).format == "PNG"


def test_an_update_without_progress_or_status_keeps_them(world, client):
    works = make_works(world, progress=30)
    login(client, world.user("manager"))
    assert _post(client, world, works, progress="").status_code == 302
    works.refresh_from_db()
    assert (works.progress, works.status) == (30, WorksStatus.IN_PROGRESS)
    assert works.history.count() == 1
    update = WorksUpdate.objects.get()
    assert update.progress is None and update.status == ""
    assert not update.photos.exists()


def test_a_text_file_named_jpg_refuses_the_whole_update(world, client, settings):
    works = make_works(world)
    login(client, in_english(world.user("manager")))
    response = _post(
        client,
        world,
        works,
        text="Texte tapé",
        photos=[("bon.jpg", jpeg_with_gps()), ("vacances.jpg", b"not an image")],
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["photos"]
    assert errors == [
        "vacances.jpg is not a photo we can read: send a JPEG, PNG or WebP image."
    ]
    html = response.content.decode()
    assert "vacances.jpg is not a photo we can read" in html
    assert "Texte tapé" in html and 'value="25"' in html
    assert not WorksUpdate.objects.exists()
    assert not WorksPhoto.objects.exists()
    assert _stored_files(settings) == []
    works.refresh_from_db()
    assert works.progress == 10


def test_an_oversized_photo_is_refused(world, client, settings):
    works = make_works(world)
    login(client, in_english(world.user("manager")))
    too_big = jpeg_with_gps() + b"\0" * (15 * 1024 * 1024)
    response = _post(client, world, works, photos=[("enorme.jpg", too_big)])
    assert response.status_code == 200
    (error,) = response.context["form"].errors["photos"]
    assert error.startswith("enorme.jpg is too large")
    assert not WorksUpdate.objects.exists()
    assert _stored_files(settings) == []


def test_at_most_ten_photos_at_once(world, client):
    works = make_works(world)
    login(client, in_english(world.user("manager")))
    photos = [(f"p{n}.png", png()) for n in range(11)]
    response = _post(client, world, works, photos=photos)
    assert response.status_code == 200
    assert response.context["form"].errors["photos"] == [
        "Send at most 10 files at once."
    ]
    assert not WorksUpdate.objects.exists()
    assert _post(client, world, works, photos=photos[:10]).status_code == 302
    assert WorksPhoto.objects.count() == 10


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": ""}, "text"),
        ({"progress": "101"}, "progress"),
        ({"progress": "-1"}, "progress"),
        ({"status": "finished"}, "status"),
    ],
)
def test_bad_update_input_saves_nothing(world, client, data, field):
    works = make_works(world)
    login(client, world.user("manager"))
    response = _post(client, world, works, **data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not WorksUpdate.objects.exists()
    works.refresh_from_db()
    assert works.progress == 10


def test_an_update_notifies_everyone_but_the_author_and_those_who_unfollowed(
    world, client, django_capture_on_commit_callbacks, mailoutbox
):
    works = make_works(world)
    in_english(world.user("tenant"))  # notifications are written in their language
    services.works_follow(works=works, user=world.user("owner"), following=False)
    login(client, world.user("manager"))
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, world, works, progress="40")
    notified = set(Notification.objects.values_list("recipient", flat=True))
    expected = {world.user(p).pk for p in ("tenant", "council", "president", "staff")}
    assert notified == expected  # not the author, the owner, nor other residences
    assert len(mailoutbox) == 4
    notification = Notification.objects.get(recipient=world.user("tenant"))
    assert notification.category == "works"
    assert notification.residence == world.home
    assert notification.url == works.get_absolute_url()
    assert notification.title == f"{world.home.name}: Ravalement de la façade — 40%"
    assert "Échafaudages montés côté rue." in notification.body


def test_the_notification_says_when_the_status_changes(
    world, django_capture_on_commit_callbacks
):
    works = make_works(world)
    in_english(world.user("tenant"))
    with django_capture_on_commit_callbacks(execute=True):
        post_update(world, works, progress=100, status=WorksStatus.DONE)
    body = Notification.objects.get(recipient=world.user("tenant")).body
    assert "The works are now done." in body
    assert "(100% done)" in body


def test_unfollow_then_follow_again(world, client, django_capture_on_commit_callbacks):
    works = make_works(world)
    url = reverse("works:follow", args=[world.home.slug, works.pk])
    login(client, world.user("tenant"))
    assert client.post(url, {"action": "unfollow"}).status_code == 302
    assert client.post(url, {"action": "unfollow"}).status_code == 302  # twice: fine
    assert WorksFollow.objects.get().following is False
    with django_capture_on_commit_callbacks(execute=True):
        post_update(world, works, text="Sans le locataire")
    assert not Notification.objects.filter(recipient=world.user("tenant")).exists()

    client.post(url, {"action": "follow"})
    assert WorksFollow.objects.get().following is True
    with django_capture_on_commit_callbacks(execute=True):
        post_update(world, works, text="Avec le locataire")
    assert Notification.objects.filter(recipient=world.user("tenant")).count() == 1


def test_follow_with_htmx_swaps_the_button(world, client):
    works = make_works(world)
    login(client, in_english(world.user("owner")))
    url = reverse("works:follow", args=[world.home.slug, works.pk])
    response = client.post(url, {"action": "unfollow"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith("<form") and "<html" not in html
    assert 'value="follow"' in html and "Follow these works" in html


def test_a_bad_follow_action_changes_nothing(world, client):
    works = make_works(world)
    login(client, world.user("owner"))
    url = reverse("works:follow", args=[world.home.slug, works.pk])
    assert client.post(url, {"action": "maybe"}).status_code == 400
    assert not WorksFollow.objects.exists()


def test_photos_are_reached_only_through_their_residence(world, as_persona):
    works = make_works(world)
    post_update(world, works, photos=[("a.jpg", jpeg_with_gps())])
    foreign = make_works(world, residence=world.other, by="other_staff")
    post_update(world, foreign, author="other_staff", photos=[("b.jpg", png())])
    mine = WorksPhoto.objects.get(update__works=works)
    theirs = WorksPhoto.objects.get(update__works=foreign)
    client = as_persona("manager")
    for name in ("works:photo", "works:photo_thumb"):
        # Another residence's photo, under my residence's address: 404.
        url = reverse(name, args=[world.home.slug, foreign.pk, theirs.pk])
        assert client.get(url).status_code == 404
        url = reverse(name, args=[world.home.slug, works.pk, theirs.pk])
        assert client.get(url).status_code == 404
        # My photo, but under another works record's id: 404 too.
        other_works = make_works(world, title="Autre")
        url = reverse(name, args=[world.home.slug, other_works.pk, mine.pk])
        assert client.get(url).status_code == 404
        # Their residence: I am a stranger there.
        url = reverse(name, args=[world.other.slug, foreign.pk, theirs.pk])
        assert client.get(url).status_code == 404


def test_a_missing_file_is_404(world, as_persona):
    works = make_works(world)
    post_update(world, works, photos=[("a.jpg", jpeg_with_gps())])
    photo = WorksPhoto.objects.get()
    photo.image.storage.delete(photo.image.name)
    url = reverse("works:photo", args=[world.home.slug, works.pk, photo.pk])
    assert as_persona("owner").get(url).status_code == 404


def test_the_update_form_starts_from_the_current_progress(world, client):
    works = make_works(world, progress=35)
    login(client, world.user("president"))
    response = client.get(reverse("works:update_new", args=[world.home.slug, works.pk]))
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'name="progress" value="35"' in html
    assert "multiple" in html and 'accept="image/jpeg,image/png,image/webp"' in html
