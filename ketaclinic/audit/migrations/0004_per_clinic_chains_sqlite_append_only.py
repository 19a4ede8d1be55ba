"""Per-clinic audit chains with sealed heads, and SQLite triggers that refuse UPDATE and DELETE.

Existing events are not rewritten (rewriting an audit trail is what this migration guards against):
they stay as the legacy global chain (``chain = ""``, positions are their ids) under the frozen
``ChainHead`` row 1, and ``audit verify`` keeps checking them. Every new chain (``clinic:<id>``,
``system``) starts from the documented genesis ``audit.chain.chain_genesis(chain, legacy head hash)``
(SHA-256 of "ketaclinic audit genesis\\n", the chain name, "\\n", the legacy head hash), so the
legacy chain is bound into every chain after it. Heads are sealed when a key is configured
(``ketaclinic audit seal`` seals heads written before the key was set).

SQLite: the triggers live on the table; a later migration that rebuilds ``audit_auditevent`` on
SQLite drops them, which ``audit/tests/test_tamper.py`` would catch.
"""

from django.db import migrations, models

TABLES = ("audit_auditevent", "audit_signature")


def add_sqlite_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            for op in ("UPDATE", "DELETE"):
                cursor.execute(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'audit events are append-only: {op} refused "
                    f"on {table}'); END"
                )


def drop_sqlite_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            for op in ("update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_signatures_and_open_event_types")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.CharField(blank=True, default="", max_length=40),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("chain", "seq"), name="audit_chain_seq"),
        ),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("chain", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField(default=0)),
                ("last_hash", models.CharField(max_length=64)),
                ("key_id", models.CharField(blank=True, max_length=32)),
                ("seal", models.CharField(blank=True, max_length=64)),
            ],
        ),
        migrations.RunPython(add_sqlite_triggers, drop_sqlite_triggers),
    ]
