"""A dependency's two steps must belong to the dependency's runbook: enforced by the database.

A CHECK constraint cannot look at another table, so this is a trigger on insert and update, on both
SQLite and PostgreSQL. A violation raises IntegrityError like any other constraint.
"""
from django.db import migrations

SQLITE = [
    """
    CREATE TRIGGER runbook_dependency_same_runbook_ins BEFORE INSERT ON runbook_dependency
    WHEN (SELECT runbook_id FROM runbook_step WHERE id = NEW.predecessor_id) IS NOT NEW.runbook_id
      OR (SELECT runbook_id FROM runbook_step WHERE id = NEW.successor_id) IS NOT NEW.runbook_id
    BEGIN SELECT RAISE(ABORT, 'dependency_same_runbook: both steps must belong to the runbook'); END;
    """,
    """
    CREATE TRIGGER runbook_dependency_same_runbook_upd BEFORE UPDATE ON runbook_dependency
    WHEN (SELECT runbook_id FROM runbook_step WHERE id = NEW.predecessor_id) IS NOT NEW.runbook_id
      OR (SELECT runbook_id FROM runbook_step WHERE id = NEW.successor_id) IS NOT NEW.runbook_id
    BEGIN SELECT RAISE(ABORT, 'dependency_same_runbook: both steps must belong to the runbook'); END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS runbook_dependency_same_runbook_ins;",
    "DROP TRIGGER IF EXISTS runbook_dependency_same_runbook_upd;",
]
POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION runbook_dependency_same_runbook() RETURNS trigger AS $$
    BEGIN
      IF (SELECT runbook_id FROM runbook_step WHERE id = NEW.predecessor_id) IS DISTINCT FROM NEW.runbook_id
         OR (SELECT runbook_id FROM runbook_step WHERE id = NEW.successor_id) IS DISTINCT FROM NEW.runbook_id
      THEN
        RAISE EXCEPTION 'dependency_same_runbook: both steps must belong to the runbook'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER runbook_dependency_same_runbook BEFORE INSERT OR UPDATE ON runbook_dependency
    FOR EACH ROW EXECUTE FUNCTION runbook_dependency_same_runbook();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS runbook_dependency_same_runbook ON runbook_dependency;",
    "DROP FUNCTION IF EXISTS runbook_dependency_same_runbook();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("runbook", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
    ]
