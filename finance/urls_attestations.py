"""URLs of the attestations part of the finance app (included by finance/urls.py)."""

urlpatterns: list = []
