from django.urls import path

from . import views

app_name = "albums"

urlpatterns = [
    path("r/<slug:residence>/albums/", views.album_list, name="list"),
    path("r/<slug:residence>/albums/new/", views.album_edit, name="new"),
    path(
        "r/<slug:residence>/albums/<int:album_id>/", views.album_detail, name="detail"
    ),
    path(
        "r/<slug:residence>/albums/<int:album_id>/edit/",
        views.album_edit,
        name="edit",
    ),
    path(
        "r/<slug:residence>/albums/<int:album_id>/upload/",
        views.upload,
        name="upload",
    ),
    path(
        "r/<slug:residence>/albums/photos/<int:photo_id>/",
        views.photo_file,
        name="photo",
    ),
    path(
        "r/<slug:residence>/albums/photos/<int:photo_id>/thumbnail/",
        views.thumbnail_file,
        name="thumbnail",
    ),
    path(
        "r/<slug:residence>/albums/photos/<int:photo_id>/edit/",
        views.photo_edit,
        name="photo_edit",
    ),
    path(
        "r/<slug:residence>/albums/photos/<int:photo_id>/delete/",
        views.photo_delete,
        name="photo_delete",
    ),
]
