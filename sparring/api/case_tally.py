"""The number of cases, kept by PostgreSQL's triggers in ``CaseTally`` (issue 17).

The coordinator's ``/api/v1/cases/`` has every case, and its ``count`` is exact (part of
the API's contract). Counting 100 000 cases read the whole of an index, 4.8 ms a page;
the tally is one row.

Why it is exact: statement triggers on ``sparring_case`` add the rows each INSERT
inserted and take off the rows each DELETE deleted (whoever writes: the services, the
admin, a cascade), and a TRUNCATE sets it to 0, in the writer's transaction: it commits
and rolls back with the cases, and a reader sees the cases and the tally of the same
commits. The bench generator loads cases with triggers off (the replica role) and then
calls ``recount``. If the row is missing (a test's flush empties every table), ``count``
counts the cases, in the same one query.

The cost: a transaction that creates or deletes a case holds the tally's row until it
commits, so two such transactions take turns (creating a draft is short and rare next to
reading the lists). Other databases (SQLite in development and tests) have no triggers
here: ``count`` is ``COUNT(*)``.
"""

from django.db import connection as default_connection
from django.db import transaction

#: The one query of ``count`` on PostgreSQL: the tally, else the cases counted
#: (COALESCE evaluates the count only when the tally's row is missing).
COUNT_SQL = (
    "SELECT COALESCE((SELECT cases FROM api_casetally WHERE id = 1), "
    "(SELECT COUNT(*) FROM sparring_case))"
)

_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION api_case_tally_insert() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE api_casetally SET cases = cases + (SELECT COUNT(*) FROM new_cases) WHERE id = 1;
        RETURN NULL;
    END $$;
    """,
    """
    CREATE OR REPLACE FUNCTION api_case_tally_delete() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE api_casetally SET cases = cases - (SELECT COUNT(*) FROM old_cases) WHERE id = 1;
        RETURN NULL;
    END $$;
    """,
    """
    CREATE OR REPLACE FUNCTION api_case_tally_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE api_casetally SET cases = 0 WHERE id = 1;
        RETURN NULL;
    END $$;
    """,
    "DROP TRIGGER IF EXISTS api_case_tally_insert ON sparring_case",
    """CREATE TRIGGER api_case_tally_insert AFTER INSERT ON sparring_case
        REFERENCING NEW TABLE AS new_cases
        FOR EACH STATEMENT EXECUTE FUNCTION api_case_tally_insert()""",
    "DROP TRIGGER IF EXISTS api_case_tally_delete ON sparring_case",
    """CREATE TRIGGER api_case_tally_delete AFTER DELETE ON sparring_case
        REFERENCING OLD TABLE AS old_cases
        FOR EACH STATEMENT EXECUTE FUNCTION api_case_tally_delete()""",
    "DROP TRIGGER IF EXISTS api_case_tally_truncate ON sparring_case",
    """CREATE TRIGGER api_case_tally_truncate AFTER TRUNCATE ON sparring_case
        FOR EACH STATEMENT EXECUTE FUNCTION api_case_tally_truncate()""",
]

_UNINSTALL = [
    "DROP TRIGGER IF EXISTS api_case_tally_insert ON sparring_case",
    "DROP TRIGGER IF EXISTS api_case_tally_delete ON sparring_case",
    "DROP TRIGGER IF EXISTS api_case_tally_truncate ON sparring_case",
    "DROP FUNCTION IF EXISTS api_case_tally_insert()",
    "DROP FUNCTION IF EXISTS api_case_tally_delete()",
    "DROP FUNCTION IF EXISTS api_case_tally_truncate()",
]


def install(connection) -> None:
    """Create (or replace) the triggers and set the tally (``recount``); idempotent.
    Nothing on a database other than PostgreSQL."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in _INSTALL:
            cursor.execute(statement)
    recount(connection)


def uninstall(connection) -> None:
    """Drop the triggers (the migration's reverse)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in _UNINSTALL:
            cursor.execute(statement)


def recount(connection) -> None:
    """Set the tally to the cases counted (its row made if missing), the cases' table
    locked against writes meanwhile. For a writer that had the triggers off (the bench
    generator's replica role). Nothing on a database other than PostgreSQL."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE sparring_case IN SHARE MODE")
        cursor.execute(
            "INSERT INTO api_casetally (id, cases) SELECT 1, COUNT(*) FROM sparring_case "
            "ON CONFLICT (id) DO UPDATE SET cases = EXCLUDED.cases"
        )


def count() -> int:
    """How many cases exist (every case, as ``Case.objects.count()``): one query.

    PostgreSQL reads the tally (``COUNT_SQL``); other databases count."""
    if default_connection.vendor != "postgresql":
        from sparring.models import Case

        return Case.objects.count()
    with default_connection.cursor() as cursor:
        cursor.execute(COUNT_SQL)
        return cursor.fetchone()[0]
