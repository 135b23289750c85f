"""Indexes of the case list (issue 17): an organisation's and a consultant's cases newest
first, and trigram indexes for the search's substring match of the reference, unit and
contact person (PostgreSQL only). See ``sparring.cases.search`` and
``sparring.cases.selectors.CaseListRows``.

The trigram indexes need the ``pg_trgm`` extension: ``CREATE EXTENSION IF NOT EXISTS
pg_trgm``. It is a trusted extension (PostgreSQL 13 and newer), so the database's owner
may create it; otherwise a superuser runs that statement once before ``migrate``
(docs/operations.md). The indexes are on Django's ``icontains`` expression,
``UPPER(column::text)``, so that the search's ``LIKE`` reads them.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

TRIGRAM_INDEXES = {
    "case_reference_trgm": "reference",
    "case_unit_trgm": "unit",
    "case_contact_name_trgm": "contact_name",
}


class TrigramExtensionKept(TrigramExtension):
    """``pg_trgm`` created on PostgreSQL when missing; left in place when the migration is
    reversed. Django's ``CreateExtension`` checks the database's vendor only forwards, so
    reversing it on SQLite queried ``pg_extension`` and failed; and on PostgreSQL the
    extension may have been there before this migration, or serve other objects."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        return


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON sparring_case "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def remove_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("sparring", "0024_step_deadline_finished")]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["organisation", "-created", "-id"], name="case_org_newest_first"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["consultant", "-created", "-id"], name="case_consultant_newest_first"
            ),
        ),
        TrigramExtensionKept(),
        migrations.RunPython(add_trigram_indexes, remove_trigram_indexes, elidable=False),
    ]
