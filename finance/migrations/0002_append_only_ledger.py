"""The ledger is append-only: the database itself refuses to change or delete an
entry (corrections are new entries)."""

from django.db import migrations

CREATE = """
CREATE FUNCTION finance_entry_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'account entries are never changed nor deleted (%), post a correction', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER finance_entry_append_only
    BEFORE UPDATE OR DELETE ON finance_entry
    FOR EACH ROW EXECUTE FUNCTION finance_entry_is_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS finance_entry_append_only ON finance_entry;
DROP FUNCTION IF EXISTS finance_entry_is_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
