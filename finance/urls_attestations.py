"""URLs of the attestations part of the finance app (included by finance/urls.py)."""

from django.urls import path

from . import views_attestations

R = "r/<slug:residence>/charges/attestations/"

urlpatterns = [
    path(R, views_attestations.documents, name="attestations"),
    path(f"{R}<int:pk>/", views_attestations.document_pdf, name="attestation_pdf"),
    # Public: anyone holding a document checks its code here (the QR code's address).
    path(
        "attestations/verify/",
        views_attestations.verify,
        name="attestation_verify",
    ),
]
