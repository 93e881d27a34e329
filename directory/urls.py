from django.urls import path

from . import views

app_name = "directory"

R = "r/<slug:residence>/"

urlpatterns = [
    path(f"{R}directory/", views.index, name="index"),
    path(f"{R}directory/me/", views.my_listing, name="my_listing"),
    path(f"{R}directory/contacts/new/", views.contact_edit, name="contact_new"),
    path(
        f"{R}directory/contacts/<int:contact_id>/edit/",
        views.contact_edit,
        name="contact_edit",
    ),
    path(
        f"{R}directory/contacts/<int:contact_id>/delete/",
        views.contact_delete,
        name="contact_delete",
    ),
    path(f"{R}directory/contracts/", views.contract_list, name="contracts"),
    path(f"{R}directory/contracts/new/", views.contract_edit, name="contract_new"),
    path(
        f"{R}directory/contracts/<int:contract_id>/edit/",
        views.contract_edit,
        name="contract_edit",
    ),
    path(
        f"{R}directory/contracts/<int:contract_id>/delete/",
        views.contract_delete,
        name="contract_delete",
    ),
    path(f"{R}info/", views.info, name="info"),
    path(f"{R}info/new/", views.info_edit, name="info_new"),
    path(f"{R}info/<slug:slug>/", views.info_page, name="info_page"),
    path(f"{R}info/<slug:slug>/edit/", views.info_edit, name="info_edit"),
    path(f"{R}info/<slug:slug>/delete/", views.info_delete, name="info_delete"),
]
