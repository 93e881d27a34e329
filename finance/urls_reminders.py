"""URLs of the reminders part of the finance app (included by finance/urls.py)."""

from django.urls import path

from . import views_reminders

R = "r/<slug:residence>/charges/"

urlpatterns = [
    path(f"{R}reminders/", views_reminders.reminder_settings, name="reminders"),
    path(
        f"{R}formal-notices/<int:reminder_id>/",
        views_reminders.formal_notice_pdf,
        name="formal_notice",
    ),
    path(f"{R}overdue/", views_reminders.overdue_total, name="overdue"),
]
