"""Make the ledger append-only on PostgreSQL: a trigger refuses UPDATE and DELETE on
inventory_ledgerentry for every role, the table owner included. SQLite has no comparable guard;
there the hash chain (``ketaclinic ledger verify``) alone detects tampering."""

from django.db import migrations

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION inventory_ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER inventory_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON inventory_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION inventory_ledger_refuse_change();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS inventory_ledgerentry_append_only ON inventory_ledgerentry;
DROP FUNCTION IF EXISTS inventory_ledger_refuse_change();
"""


def add_trigger(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor: no parameters, so the '%' placeholders of RAISE reach PL/pgSQL untouched.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(TRIGGER_SQL)


def drop_trigger(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_ledger")]

    operations = [migrations.RunPython(add_trigger, drop_trigger)]
