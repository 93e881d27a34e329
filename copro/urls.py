from django.urls import include, path

from backoffice.sites import backoffice_site
from copro.lib.health import healthz
from residents.views import home, set_language

urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("backoffice/", backoffice_site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("notifications/", include("notifications.urls")),
    path("", home, name="home"),
    path("", include("residents.urls")),
    path("", include("life.urls")),
    path("", include("directory.urls")),
    path("", include("works.urls")),
    path("", include("albums.urls")),
    path("", include("documents.urls")),
    path("", include("incidents.urls")),
    path("", include("finance.urls")),
]
