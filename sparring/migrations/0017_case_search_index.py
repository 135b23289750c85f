"""GIN indexes on the case's and the report's full-text search vectors (PostgreSQL with the Finnish
configuration only; SQLite searches without one). See ``sparring.cases.search``."""

from django.db import migrations

INDEXES = ("case_search_fi", "report_search_fi")


def _indexes():
    from django.contrib.postgres.indexes import GinIndex

    from sparring.cases.search import INDEX_CONFIG, case_vector, report_vector

    return [
        (("sparring", "Case"), GinIndex(case_vector(INDEX_CONFIG), name=INDEXES[0])),
        (("reports", "Report"), GinIndex(report_vector(INDEX_CONFIG), name=INDEXES[1])),
    ]


def _has_finnish(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = 'finnish'")
        return cursor.fetchone() is not None


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or not _has_finnish(schema_editor):
        return
    for model, index in _indexes():
        schema_editor.add_index(apps.get_model(*model), index)


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("sparring", "0016_business_id_field"),
        ("reports", "0002_timestamps_from_the_products_clock"),
    ]

    operations = [migrations.RunPython(add_index, remove_index, elidable=False)]
