"""URLs of the budget part of the finance app (included by finance/urls.py)."""

from django.urls import path

from . import views_budget, views_notice_batch

R = "r/<slug:residence>/charges/"

urlpatterns = [
    path(f"{R}budgets/", views_budget.budget_list, name="budgets"),
    path(f"{R}budgets/new/", views_budget.budget_new, name="budget_new"),
    path(f"{R}budgets/<int:year>/", views_budget.budget_edit, name="budget_edit"),
    path(
        f"{R}budgets/<int:year>/issue/",
        views_budget.budget_issue,
        name="budget_issue",
    ),
    path(f"{R}calls/<int:call_id>/", views_budget.call_detail, name="call_detail"),
    path(
        f"{R}calls/<int:call_id>/notice/",
        views_budget.call_notice,
        name="call_notice",
    ),
    path(
        f"{R}calls/<int:call_id>/notices/",
        views_notice_batch.call_notices_prepare,
        name="call_notices_prepare",
    ),
    path(
        f"{R}calls/<int:call_id>/notices.zip",
        views_notice_batch.call_notices_zip,
        name="call_notices_zip",
    ),
]
