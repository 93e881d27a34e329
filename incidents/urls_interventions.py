"""URLs of interventions on an incident (included by incidents/urls.py)."""

from django.urls import path

from . import views_interventions as views

T = "r/<slug:residence>/incidents/<int:ticket_id>/interventions/"
N = f"{T}<int:intervention_id>/"

urlpatterns = [
    path(T, views.intervention_list, name="interventions"),
    path(f"{T}new/", views.intervention_new, name="intervention_new"),
    path(f"{N}edit/", views.intervention_edit, name="intervention_edit"),
    path(f"{N}delete/", views.intervention_delete, name="intervention_delete"),
    path(f"{N}attach/", views.intervention_attach, name="intervention_attach"),
    path(f"{N}pdf/", views.intervention_pdf, name="intervention_pdf"),
]
