"""URLs of the sharing part of the documents app (included by documents/urls.py)."""

urlpatterns: list = []
