"""On SQLite, refuse UPDATE and DELETE of audit events in the database itself (see qiloop_web/audit/guard.py).

A later migration that makes Django rebuild this table on SQLite drops these triggers with the old table:
create them again in that migration (tests/web/test_web_audit.py checks they exist).
"""

from django.db import migrations

TABLE = "audit_auditevent"
MESSAGE = "audit events are append-only: they cannot be changed or deleted"
CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
    f"WHEN qiloop_audit_append_only() BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    for verb in ("UPDATE", "DELETE")
]
DROP = [f"DROP TRIGGER IF EXISTS audit_event_no_{verb.lower()}" for verb in ("UPDATE", "DELETE")]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in CREATE:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [migrations.RunPython(forwards, backwards)]
