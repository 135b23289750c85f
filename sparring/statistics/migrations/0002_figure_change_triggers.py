"""Install the triggers of sparring/statistics/triggers.py and queue every existing case
once, so that the first refresh folds the whole programme in (or run
``manage.py check_aggregates --rebuild`` after migrating)."""

from django.db import migrations


def create(apps, schema_editor):
    from sparring.statistics import triggers

    triggers.install(schema_editor.connection)
    schema_editor.execute("INSERT INTO statistics_figurechange (case_id) SELECT id FROM sparring_case")


def drop(apps, schema_editor):
    from sparring.statistics import triggers

    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("statistics", "0001_case_figures"),
        ("outcomes", "0002_follow_up_survey"),
        ("surveys", "0004_anonymous_answers_and_hashed_codes"),
        ("reports", "0002_timestamps_from_the_products_clock"),
    ]

    operations = [migrations.RunPython(create, drop)]
