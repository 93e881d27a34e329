from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"
    verbose_name = _("Incidents and requests")

    def ready(self) -> None:
        # allauth's email-verified signals take up pending delegations.
        from . import receivers  # noqa: F401
