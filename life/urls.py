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
    path(
        "r/<slug:residence>/news/<int:announcement_id>/files/<int:attachment_id>/",
        views.announcement_file,
        name="announcement_file",
    ),
    path(
        "r/<slug:residence>/news/<int:announcement_id>/files/<int:attachment_id>/thumb/",
        views.announcement_file,
        {"thumbnail": True},
        name="announcement_thumbnail",
    ),
    path("r/<slug:residence>/calendar/", views.calendar_list, name="calendar"),
    path(
        "r/<slug:residence>/calendar/<int:year>/<int:month>/",
        views.calendar_month,
        name="calendar_month",
    ),
    path("r/<slug:residence>/calendar/new/", views.event_edit, name="event_new"),
    path(
        "r/<slug:residence>/calendar/<int:event_id>/edit/",
        views.event_edit,
        name="event_edit",
    ),
    path(
        "r/<slug:residence>/calendar/feed/", views.calendar_feed, name="calendar_feed"
    ),
    path("calendar/<str:token>.ics", views.calendar_ics, name="calendar_ics"),
]
