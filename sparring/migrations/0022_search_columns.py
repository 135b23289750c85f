"""Stored full-text vectors of the case's and the report's texts (PostgreSQL with the
Finnish configuration only; SQLite searches without them). See ``sparring.cases.search``.

The GIN indexes of 0017 are on an expression, so a search that matches many rows made
PostgreSQL compute the vector again for every row it read (2 s for a word in most
reports at 100 000 cases; issue 17). Generated columns store the vector once per
change; their GIN indexes replace 0017's.
"""

from django.db import migrations

CASE_FIELDS = ("reference", "unit", "contact_name", "goal", "development_need")
REPORT_FIELDS = ("refined_goal", "implementation", "themes_covered", "results", "follow_up")
COLUMNS = {"sparring_case": CASE_FIELDS, "sparring_report": REPORT_FIELDS}
COLUMN = "search_fi"


def _document(fields) -> str:
    joined = " || ' ' || ".join(f"coalesce({field}::text, '')" for field in fields)
    return f"to_tsvector('finnish'::regconfig, {joined})"


def _has_finnish(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = 'finnish'")
        return cursor.fetchone() is not None


def add_columns(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or not _has_finnish(schema_editor):
        return
    for table, fields in COLUMNS.items():
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {COLUMN} tsvector "
            f"GENERATED ALWAYS AS ({_document(fields)}) STORED"
        )
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_{COLUMN} ON {table} USING gin ({COLUMN})"
        )
    schema_editor.execute("DROP INDEX IF EXISTS case_search_fi")
    schema_editor.execute("DROP INDEX IF EXISTS report_search_fi")


def remove_columns(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in COLUMNS:
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {COLUMN}")


class Migration(migrations.Migration):
    dependencies = [("sparring", "0021_list_indexes")]

    operations = [migrations.RunPython(add_columns, remove_columns, elidable=False)]
