"""URLs of the bank part of the finance app (included by finance/urls.py)."""

urlpatterns: list = []
