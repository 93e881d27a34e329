"""URLs of the works part of the finance app (included by finance/urls.py)."""

urlpatterns: list = []
