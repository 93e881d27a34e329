"""URLs of the syndic API, and of the followed-categories page (included by
documents/urls.py, in the `documents` namespace)."""

from django.urls import path

from . import api, views_follows

urlpatterns = [
    path(
        "api/v1/residences/<slug:residence>/documents/",
        api.document_create,
        name="api_document_create",
    ),
    path(
        "api/v1/residences/<slug:residence>/events/",
        api.event_create,
        name="api_event_create",
    ),
    path(
        "r/<slug:residence>/documents/follows/",
        views_follows.follows,
        name="follows",
    ),
]
