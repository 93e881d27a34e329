"""URLs of the budget part of the finance app (included by finance/urls.py)."""

urlpatterns: list = []
