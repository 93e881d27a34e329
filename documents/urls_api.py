"""URLs of the api part of the documents app (included by documents/urls.py)."""

urlpatterns: list = []
