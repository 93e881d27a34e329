from django.urls import path

from . import views

app_name = "life"

urlpatterns = [
    path("r/<slug:residence>/news/", views.announcement_list, name="announcements"),
    path(
        "r/<slug:residence>/news/new/", views.announcement_edit, name="announcement_new"
    ),
    path(
        "r/<slug:residence>/news/<int:announcement_id>/",
        views.announcement_detail,
        name="announcement",
    ),
    path(
        "r/<slug:residence>/news/<int:announcement_id>/edit/",
        views.announcement_edit,
        name="announcement_edit",
    ),
]
