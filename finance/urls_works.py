"""URLs of the works part of the finance app (included by finance/urls.py): the
exceptional works calls and the year-end regularisation of a budget."""

from django.urls import path

from . import views_works

R = "r/<slug:residence>/charges/"

urlpatterns = [
    path(f"{R}works/", views_works.works_calls_list, name="works_calls"),
    path(f"{R}works/new/", views_works.works_call_new, name="works_call_new"),
    path(
        f"{R}works/<int:works_id>/",
        views_works.works_call_detail,
        name="works_call",
    ),
    path(
        f"{R}budgets/<int:year>/closing/",
        views_works.closing_detail,
        name="closing",
    ),
    path(
        f"{R}budgets/<int:year>/closing/post/",
        views_works.closing_post,
        name="closing_post",
    ),
]
