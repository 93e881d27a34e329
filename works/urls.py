from django.urls import path

from . import views

app_name = "works"

urlpatterns = [
    path("r/<slug:residence>/works/", views.works_list, name="list"),
    path("r/<slug:residence>/works/new/", views.works_edit, name="new"),
    path("r/<slug:residence>/works/<int:works_id>/", views.works_detail, name="detail"),
    path(
        "r/<slug:residence>/works/<int:works_id>/edit/", views.works_edit, name="edit"
    ),
    path(
        "r/<slug:residence>/works/<int:works_id>/updates/new/",
        views.update_new,
        name="update_new",
    ),
    path(
        "r/<slug:residence>/works/<int:works_id>/follow/",
        views.follow,
        name="follow",
    ),
    path(
        "r/<slug:residence>/works/<int:works_id>/photos/<int:photo_id>/",
        views.photo,
        name="photo",
    ),
    path(
        "r/<slug:residence>/works/<int:works_id>/photos/<int:photo_id>/thumb/",
        views.photo,
        {"size": "thumb"},
        name="photo_thumb",
    ),
]
