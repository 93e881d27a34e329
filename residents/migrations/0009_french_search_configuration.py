"""A French full-text configuration that also ignores accents: "electricite" finds
"Électricité", and French stemming makes "ascenseur" find "Ascenseurs"."""

from django.db import migrations

CREATE = """
CREATE TEXT SEARCH CONFIGURATION copro_french ( COPY = french );
ALTER TEXT SEARCH CONFIGURATION copro_french
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
"""
DROP = "DROP TEXT SEARCH CONFIGURATION IF EXISTS copro_french;"


class Migration(migrations.Migration):
    dependencies = [("residents", "0008_works_category_and_perms")]

    operations = [migrations.RunSQL(CREATE, DROP)]
