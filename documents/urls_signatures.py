"""URLs of the signatures part of the documents app (included by documents/urls.py)."""

from django.urls import path

from . import views_signatures as views

R = "r/<slug:residence>/documents/"

urlpatterns = [
    path(f"{R}signatures/", views.inbox, name="signatures"),
    path(f"{R}signatures/<int:request_id>/", views.sign, name="signature_sign"),
    path(f"{R}signatures/<int:request_id>/code/", views.send_code,
         name="signature_code"),
    path(f"{R}signatures/<int:request_id>/decline/", views.decline,
         name="signature_decline"),
    path(f"{R}signatures/<int:request_id>/cancel/", views.cancel,
         name="signature_cancel"),
    path(f"{R}signatures/<int:request_id>/verify/", views.evidence,
         name="signature_evidence"),
    path(f"{R}<int:document_id>/signatures/", views.panel, name="signature_panel"),
    path(f"{R}<int:document_id>/signatures/new/", views.new, name="signature_new"),
]  # fmt: skip
