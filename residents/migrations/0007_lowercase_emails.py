from django.db import migrations
from django.db.models.functions import Lower


def lowercase(apps, schema_editor):
    User = apps.get_model("residents", "User")
    User.objects.exclude(email=Lower("email")).update(email=Lower("email"))


class Migration(migrations.Migration):
    dependencies = [("residents", "0006_alter_residence_options")]

    operations = [migrations.RunPython(lowercase, migrations.RunPython.noop)]
