"""Make the audit table append-only on PostgreSQL and create the chain head row.

The trigger refuses UPDATE and DELETE on audit_auditevent for every role, the table owner included
(45 CFR 170.315(d)(2): the technology must be unable to change, overwrite or delete entries). SQLite has
no comparable guard; there the hash chain alone detects tampering.
"""

from django.db import migrations

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_refuse_change();
"""


def add_trigger(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor: no parameters, so the '%' placeholders of RAISE reach PL/pgSQL untouched.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(TRIGGER_SQL)


def drop_trigger(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


def create_head(apps, schema_editor):  # type: ignore[no-untyped-def]
    head = apps.get_model("audit", "ChainHead")
    head.objects.get_or_create(
        pk=1, defaults={"last_hash": "0" * 64, "last_event_id": 0, "event_count": 0}
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(add_trigger, drop_trigger),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
