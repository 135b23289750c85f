"""A GIN index on the case's full-text search vector (PostgreSQL with the Finnish
configuration only; SQLite searches without one). See ``sparring.cases.search``."""

from django.db import migrations

INDEX_NAME = "case_search_fi"


def _index(apps):
    from django.contrib.postgres.indexes import GinIndex

    from sparring.cases.search import INDEX_CONFIG, case_vector

    return GinIndex(case_vector(INDEX_CONFIG), name=INDEX_NAME)


def _has_finnish(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = 'finnish'")
        return cursor.fetchone() is not None


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or not _has_finnish(schema_editor):
        return
    schema_editor.add_index(apps.get_model("sparring", "Case"), _index(apps))


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


class Migration(migrations.Migration):
    dependencies = [("sparring", "0016_business_id_field")]

    operations = [migrations.RunPython(add_index, remove_index, elidable=False)]
