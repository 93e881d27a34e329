"""URLs of the payments part of the finance app (included by finance/urls.py)."""

from django.urls import path

from . import views_payments

R = "r/<slug:residence>/charges/"

urlpatterns = [
    path(f"{R}pay/", views_payments.pay, name="pay"),
    path(f"{R}pay/<int:pk>/", views_payments.pay_done, name="pay_done"),
    path("stripe/webhook/", views_payments.stripe_webhook, name="stripe_webhook"),
]
