from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.postgres.operations import (
    BtreeGistExtension,
    TrigramExtension,
    UnaccentExtension,
)
from django.db import migrations


def name_site(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    domain = urlsplit(settings.SITE_URL).netloc or "127.0.0.1:8000"
    Site.objects.update_or_create(pk=settings.SITE_ID, defaults={"domain": domain, "name": "Copro"})


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0001_initial"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [
        BtreeGistExtension(),
        TrigramExtension(),
        UnaccentExtension(),
        migrations.RunPython(name_site, migrations.RunPython.noop),
    ]
