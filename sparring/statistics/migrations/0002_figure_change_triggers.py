"""Triggers that queue a case's id in statistics_figurechange whenever a row that moves
its figures is inserted, updated or deleted (PostgreSQL and SQLite), and every existing
case queued once so the first refresh folds the whole programme in (or run
``manage.py check_aggregates --rebuild`` after migrating)."""

from django.db import migrations

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
            END""",
        f"""CREATE TRIGGER IF NOT EXISTS figures_mark_{table}_delete AFTER DELETE ON {table}
            BEGIN {QUEUE}{old}; END""",
    ]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    build = {"postgresql": _postgresql, "sqlite": _sqlite}.get(vendor)
    if build is None:
        raise RuntimeError(f"no figure triggers for {vendor}")
    for table, (key, select) in TABLES.items():
        for statement in build(table, key, select):
            schema_editor.execute(statement)
    schema_editor.execute(f"{QUEUE}SELECT id FROM sparring_case")


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS figures_mark ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS figures_mark_{table}()")
        else:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS figures_mark_{table}_{event}")


class Migration(migrations.Migration):
    dependencies = [
        ("statistics", "0001_case_figures"),
        ("outcomes", "0002_follow_up_survey"),
        ("surveys", "0004_anonymous_answers_and_hashed_codes"),
        ("reports", "0002_timestamps_from_the_products_clock"),
    ]

    operations = [migrations.RunPython(create, drop)]
