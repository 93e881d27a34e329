from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "life"
    verbose_name = _("Residence life")
