from django.urls import path

from . import urls_interventions, urls_stats, views, views_sharing

app_name = "incidents"

R = "r/<slug:residence>/incidents/"
T = f"{R}<int:ticket_id>/"

urlpatterns = [
    path(R, views.ticket_list, name="list"),
    path(f"{R}queue/", views.ticket_queue, name="queue"),
    path(f"{R}new/", views.ticket_new, {"kind": "incident"}, name="new"),
    path(f"{R}request/", views.ticket_new, {"kind": "request"}, name="new_request"),
    path(f"{R}similar/", views.similar, name="similar"),
    path(T, views.ticket_detail, name="detail"),
    path(f"{T}confirm/", views.ticket_confirm, name="confirm"),
    path(f"{T}comment/", views.ticket_comment, name="comment"),
    path(f"{T}status/", views.ticket_move, name="move"),
    path(f"{T}priority/", views.ticket_priority, name="priority"),
    path(f"{T}merge/", views.ticket_merge, name="merge"),
    path(f"{T}rate/", views.ticket_rate, name="rate"),
    path(f"{R}delegations/", views_sharing.delegations, name="delegations"),
    path(f"{R}delegations/<int:delegation_id>/revoke/", views_sharing.delegation_revoke,
         name="delegation_revoke"),
    path(f"{T}relay/", views_sharing.relay, name="relay"),
    path(f"{T}quotes/", views_sharing.quotes_request, name="quotes"),
    path(f"{T}quotes/<int:quote_id>/", views_sharing.quote_answer, name="quote_answer"),
    path(f"{T}photos/<int:photo_id>/", views.ticket_photo, name="photo"),
    path(f"{T}photos/<int:photo_id>/thumb/", views.ticket_photo, {"thumbnail": True},
         name="thumbnail"),
]  # fmt: skip
urlpatterns += urls_interventions.urlpatterns
urlpatterns += urls_stats.urlpatterns
