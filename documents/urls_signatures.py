"""URLs of the signatures part of the documents app (included by documents/urls.py)."""

urlpatterns: list = []
