"""Issue 17 (session 8): a consultant's open offers from an index of the open offers by
consultant, carrying the case (``offer_open_by_consultant``).

A consultant sees the cases offered to them (``access.visible_case_terms``): the task list,
``/api/v1/cases/`` and ``/cases/`` read those cases' ids. Before it PostgreSQL read every
open offer of the programme (``one_open_offer_per_case``) and kept the consultant's: 1 500
offers, 850 pages at 100 000 cases for 125 of them. Made with ``CREATE INDEX
CONCURRENTLY`` on PostgreSQL (the migration is not atomic), as ``sparring 0026``.
"""

from django.db import migrations


def add_index(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    how = "CONCURRENTLY IF NOT EXISTS" if postgresql else "IF NOT EXISTS"
    include = " INCLUDE (case_id)" if postgresql else ""
    schema_editor.execute(
        f"CREATE INDEX {how} offer_open_by_consultant ON procurement_offer (consultant_id)"
        f"{include} WHERE status = 'offered'"
    )


def remove_index(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS offer_open_by_consultant")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("procurement", "0013_consultant_load"),
    ]

    operations = [
        migrations.RunPython(add_index, remove_index, atomic=False, elidable=False),
    ]
