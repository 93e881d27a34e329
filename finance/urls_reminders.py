"""URLs of the reminders part of the finance app (included by finance/urls.py)."""

urlpatterns: list = []
