"""URLs of the payments part of the finance app (included by finance/urls.py)."""

urlpatterns: list = []
