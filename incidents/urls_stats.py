"""§4: statistics and bulk changes. Included in `incidents/urls.py` with
`urlpatterns += urls_stats.urlpatterns` (same "incidents" namespace)."""

from django.urls import path

from . import views_stats

R = "r/<slug:residence>/incidents/"

urlpatterns = [
    path(f"{R}stats/", views_stats.residence_stats, name="stats"),
    path(f"{R}stats/syndic/", views_stats.syndic_stats, name="syndic_stats"),
    path(f"{R}queue/bulk/", views_stats.queue_bulk_move, name="queue_bulk"),
]
