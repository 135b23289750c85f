"""The triggers that queue a case's id in ``statistics_figurechange`` whenever a row
that moves its figures is inserted, updated or deleted (PostgreSQL and SQLite).

Installed by migration ``statistics 0002`` and again after every ``migrate``
(``post_migrate``, ``StatisticsConfig.ready``): on SQLite a later migration that
rebuilds one of these tables (SQLite's way to alter a column) drops its triggers,
and this puts them back. Adding a table whose rows move a figure: add it to
``TABLES`` and to ``aggregates.case_rows``.
"""

# table -> (key column, SQL giving the case id from the key; {key} is NEW.x or OLD.x)
TABLES = {
    "sparring_case": ("id", "SELECT {key}"),
    "sparring_sessionday": ("case_id", "SELECT {key}"),
    "sparring_report": ("case_id", "SELECT {key}"),
    "sparring_survey": ("case_id", "SELECT {key}"),
    "sparring_surveyanswer": ("survey_id", "SELECT case_id FROM sparring_survey WHERE id = {key}"),
    "procurement_offer": ("case_id", "SELECT {key}"),
    "procurement_calloff": ("case_id", "SELECT {key}"),
    "outcomes_followup": ("case_id", "SELECT {key}"),
    "outcomes_followupinvitation": (
        "follow_up_id",
        "SELECT case_id FROM outcomes_followup WHERE id = {key}",
    ),
    "outcomes_followupanswer": (
        "follow_up_id",
        "SELECT case_id FROM outcomes_followup WHERE id = {key}",
    ),
}
QUEUE = "INSERT INTO statistics_figurechange (case_id) "


def _postgresql(table, key, select):
    new, old = select.format(key=f"NEW.{key}"), select.format(key=f"OLD.{key}")
    return [
        f"""
        CREATE OR REPLACE FUNCTION figures_mark_{table}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.{key} IS DISTINCT FROM NEW.{key}) THEN
                {QUEUE}{old};
            END IF;
            IF TG_OP <> 'DELETE' THEN
                {QUEUE}{new};
            END IF;
            RETURN NULL;
        END $$;
        """,
        f"DROP TRIGGER IF EXISTS figures_mark ON {table}",
        f"""CREATE TRIGGER figures_mark AFTER INSERT OR UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION figures_mark_{table}()""",
    ]


def _sqlite(table, key, select):
    new, old = select.format(key=f"NEW.{key}"), select.format(key=f"OLD.{key}")
    return [
        f"""CREATE TRIGGER IF NOT EXISTS figures_mark_{table}_insert AFTER INSERT ON {table}
            BEGIN {QUEUE}{new}; END""",
        f"""CREATE TRIGGER IF NOT EXISTS figures_mark_{table}_update AFTER UPDATE ON {table}
            BEGIN
                {QUEUE}SELECT * FROM ({old}) WHERE OLD.{key} IS NOT NEW.{key};
                {QUEUE}{new};
            END""",  # noqa: S608 (table and column names are the constants of TABLES)
        f"""CREATE TRIGGER IF NOT EXISTS figures_mark_{table}_delete AFTER DELETE ON {table}
            BEGIN {QUEUE}{old}; END""",
    ]


def installed(connection) -> int:
    """How many of the triggers exist (``expected()`` when all do)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'figures_mark'")
        else:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master "
                "WHERE type = 'trigger' AND name LIKE 'figures_mark_%'"
            )
        return cursor.fetchone()[0]


def expected(connection) -> int:
    """The number of triggers ``install`` creates on this database."""
    return len(TABLES) * (1 if connection.vendor == "postgresql" else 3)


def install(connection) -> None:
    """Create (or replace) the triggers; idempotent. Raises RuntimeError on a database
    other than PostgreSQL or SQLite."""
    build = {"postgresql": _postgresql, "sqlite": _sqlite}.get(connection.vendor)
    if build is None:
        raise RuntimeError(f"no figure triggers for {connection.vendor}")
    with connection.cursor() as cursor:
        for table, (key, select) in TABLES.items():
            for statement in build(table, key, select):
                cursor.execute(statement)


def uninstall(connection) -> None:
    """Drop the triggers (the migration's reverse)."""
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS figures_mark ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS figures_mark_{table}()")
            else:
                for event in ("insert", "update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS figures_mark_{table}_{event}")
