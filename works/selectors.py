"""Reads about works, scoped by the reader's standing (every member reads them)."""

from __future__ import annotations

from django.db.models import (
    Case,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)

from residents.access import Standing

from .models import (
    CLOSED_STATUSES,
    Works,
    WorksFollow,
    WorksPhoto,
    WorksStatus,
    WorksUpdate,
)


def _last_update_at() -> Subquery:
    return Subquery(
        WorksUpdate.objects.filter(works=OuterRef("pk"))
        .order_by("-posted_at")
        .values("posted_at")[:1]
    )


def works_for(standing: Standing) -> QuerySet[Works]:
    """The residence's works: those under way first, then done or cancelled ones;
    newest first within each group, with the date of their latest update."""
    return (
        Works.objects.filter(residence=standing.residence)
        .select_related("residence")
        .annotate(
            closed=Case(
                When(status__in=CLOSED_STATUSES, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            last_update_at=_last_update_at(),
        )
        .order_by("closed", "-created_at", "-pk")
    )


def works_in(standing: Standing, works_id: int) -> Works | None:
    return works_for(standing).filter(pk=works_id).first()


def updates_of(works: Works) -> QuerySet[WorksUpdate]:
    """The timeline, newest first, with authors and photos (two queries in all)."""
    return (
        WorksUpdate.objects.filter(works=works)
        .select_related("author")
        .prefetch_related(
            Prefetch("photos", queryset=WorksPhoto.objects.order_by("pk"))
        )
        .order_by("-posted_at", "-pk")
    )


def is_following(works: Works, user) -> bool:
    """No row means following: everyone follows the works they may see."""
    return not WorksFollow.objects.filter(
        works=works, user=user, following=False
    ).exists()


def photo_in(standing: Standing, works_id: int, photo_id: int) -> WorksPhoto | None:
    """A photo, found only through a works record of the reader's residence."""
    return (
        WorksPhoto.objects.filter(
            pk=photo_id,
            update__works_id=works_id,
            update__works__residence=standing.residence,
        )
        .only("pk", "image", "thumbnail", "original_name")
        .first()
    )


def dashboard_works(standing: Standing, limit: int = 3) -> list[Works]:
    """For the dashboard: up to `limit` works in progress, the most recently updated
    first, with their latest update date (one query)."""
    return list(
        works_for(standing)
        .filter(status=WorksStatus.IN_PROGRESS)
        .order_by(F("last_update_at").desc(nulls_last=True), "-pk")[:limit]
    )
