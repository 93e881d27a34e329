"""URLs of the bank part of the finance app (included by finance/urls.py)."""

from django.urls import path

from . import views_bank

R = "r/<slug:residence>/charges/bank/"

urlpatterns = [
    path(R, views_bank.bank, name="bank"),
    path(f"{R}import/", views_bank.bank_import, name="bank_import"),
    path(f"{R}manual/", views_bank.bank_manual, name="bank_manual"),
    path(
        f"{R}post-proposed/", views_bank.bank_post_proposed, name="bank_post_proposed"
    ),
    path(f"{R}lines/<int:pk>/post/", views_bank.bank_line_post, name="bank_line_post"),
    path(
        f"{R}lines/<int:pk>/ignore/",
        views_bank.bank_line_ignore,
        name="bank_line_ignore",
    ),
]
