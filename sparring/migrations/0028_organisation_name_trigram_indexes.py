"""Trigram indexes on the organisations' names as the case search matches them (issue 17,
session 10; PostgreSQL only, as those of 0025).

The search finds the cases of every organisation whose Finnish or Swedish name contains
the text (``sparring.cases.search._name_matches``: Django's ``icontains``,
``UPPER(column::text) LIKE '%…%'``). PostgreSQL has no statistics of that expression
unless an index is built on it, and then guesses a fixed, tiny share of matches: a word
in most names ("kunta" in 981 of 1 000) was taken for three organisations, and their
cases were looked up one organisation at a time against the other filter's index (one
consultant's cases: 3 s at 100 000 cases). With these indexes ``ANALYZE`` keeps the
expression's statistics, and the estimate follows the data (``test_search``); a rare name
is also found from the index instead of reading every organisation.
"""

from django.db import migrations

TRIGRAM_INDEXES = {
    "organisation_name_fi_trgm": "name_fi",
    "organisation_name_sv_trgm": "name_sv",
}


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON sparring_organisation "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )
    # the expression's statistics now, not at the next autovacuum
    schema_editor.execute("ANALYZE sparring_organisation")


def remove_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("sparring", "0027_waiting_list_indexes")]

    operations = [
        migrations.RunPython(add_trigram_indexes, remove_trigram_indexes, elidable=False),
    ]
