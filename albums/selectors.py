"""Reads about albums, scoped by the reader's standing (council-only albums: council
and syndic only)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from residents.access import Standing

from .models import Album, Photo


def albums_for(standing: Standing) -> QuerySet[Album]:
    """The residence's albums this member may see."""
    albums = Album.objects.filter(residence=standing.residence)
    if "council" not in standing.audiences():
        albums = albums.filter(council_only=False)
    return albums


def album_list(standing: Standing) -> QuerySet[Album]:
    """Albums with their cover and photo count, newest first (one query a page)."""
    return (
        albums_for(standing)
        .select_related("cover", "residence")
        .annotate(photo_count=Count("photos"))
        .order_by("-created_at", "-pk")
    )


def album_photos(album: Album) -> QuerySet[Photo]:
    """The album's photos in order; each knows its album without another query."""
    return album.photos.order_by("position", "pk")


def photos_for(standing: Standing) -> QuerySet[Photo]:
    """Photos of the albums this member may see, with their album and residence."""
    return Photo.objects.filter(album__in=albums_for(standing)).select_related(
        "album__residence"
    )


def dashboard_latest_photos(standing: Standing, n: int = 4) -> list[Photo]:
    """The latest photos the member may see, for the dashboard (one query)."""
    return list(photos_for(standing).order_by("-uploaded_at", "-pk")[:n])
