"""URLs of the account part of the finance app (included by finance/urls.py)."""

urlpatterns: list = []
