"""URLs of the account part of the finance app (included by finance/urls.py)."""

from django.urls import path

from . import views_account

R = "r/<slug:residence>/charges/"

urlpatterns = [
    path(R, views_account.account, name="account"),
    path(f"{R}accounts/", views_account.accounts, name="accounts"),
]
