from django.urls import path

from . import urls_api, urls_sharing, urls_signatures, views

app_name = "documents"

R = "r/<slug:residence>/documents/"

urlpatterns = [
    path(R, views.library, name="library"),
    path(f"{R}add/", views.upload, name="upload"),
    path(f"{R}checklist/", views.checklist, name="checklist"),
    path(f"{R}mine/", views.personal, name="personal"),
    path(f"{R}mine/<int:document_id>/delete/", views.personal_delete,
         name="personal_delete"),
    path(f"{R}<int:document_id>/", views.detail, name="detail"),
    path(f"{R}<int:document_id>/edit/", views.edit, name="edit"),
    path(f"{R}<int:document_id>/archive/", views.archive, name="archive"),
    path(f"{R}<int:document_id>/versions/", views.add_version, name="add_version"),
    path(f"{R}<int:document_id>/v<int:number>/", views.download, name="download"),
]  # fmt: skip
urlpatterns += urls_sharing.urlpatterns
urlpatterns += urls_signatures.urlpatterns
urlpatterns += urls_api.urlpatterns
