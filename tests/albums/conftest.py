from __future__ import annotations

import pytest
from django.utils import translation

from albums import services

from .images import upload


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads land in a private temporary MEDIA_ROOT, never in var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def world(world):
    """The personas read English here, so that assertions on messages keep holding
    once the French catalogue translates them (French is everyone's default)."""
    for user in world.users.values():
        user.language = "en"
        user.save(update_fields=["language"])
    return world


@pytest.fixture(autouse=True)
def english():
    """Code run outside a request (selectors, templates) speaks English too."""
    with translation.override("en"):
        yield


@pytest.fixture
def album(world):
    """An album of the home residence with one photo (its cover)."""
    album = services.album_create(
        residence=world.home,
        created_by=world.user("president"),
        title="Ravalement de la façade",
    )
    services.photos_upload(
        album=album, uploaded_by=world.user("president"), files=[upload("facade.jpg")]
    )
    album.refresh_from_db()
    return album


@pytest.fixture
def photo(album):
    return album.photos.get()
