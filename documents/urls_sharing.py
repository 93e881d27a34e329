"""URLs of the sharing part of the documents app (included by documents/urls.py)."""

from django.urls import path

from . import views_sharing as views

R = "r/<slug:residence>/documents/"

urlpatterns = [
    path(f"{R}zip/", views.zip_download, name="zip"),
    path(f"{R}zip/<str:token>/", views.zip_ready, name="zip_download"),
    path(f"{R}shares/", views.share_list, name="share_list"),
    path(f"{R}shares/new/", views.share_create, name="share_create"),
    path(f"{R}shares/<int:link_id>/", views.share_detail, name="share_detail"),
    path(f"{R}shares/<int:link_id>/revoke/", views.share_revoke, name="share_revoke"),
    # Public: for someone outside the residence, no account needed.
    path("s/<slug:token>/", views.share_public, name="share_public"),
    path("s/<slug:token>/<int:document_id>/", views.share_public_download,
         name="share_public_download"),
]  # fmt: skip
