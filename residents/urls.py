from django.urls import path

from . import views

app_name = "residents"

urlpatterns = [
    path("", views.home, name="home"),
    path("join/", views.join, name="join"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("profile/", views.profile, name="profile"),
    path("profile/preferences/", views.preferences, name="preferences"),
    path("r/<slug:residence>/", views.dashboard, name="dashboard"),
    path("r/<slug:residence>/members/", views.member_list, name="members"),
    path("r/<slug:residence>/members/invite/", views.invite, name="invite"),
    path(
        "r/<slug:residence>/members/<int:membership_id>/",
        views.membership_decide,
        name="membership",
    ),
    path(
        "r/<slug:residence>/members/<int:membership_id>/block/",
        views.membership_block,
        name="membership_block",
    ),
]
