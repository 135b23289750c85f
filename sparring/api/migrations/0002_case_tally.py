"""The case tally (``api.case_tally``, issue 17): the table, its triggers on
``sparring_case`` and its first value (PostgreSQL; the table alone elsewhere)."""

from django.db import migrations, models


def install(apps, schema_editor):
    from sparring.api import case_tally

    case_tally.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from sparring.api import case_tally

    case_tally.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("sparring", "0029_pending_jobs_since_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseTally",
            fields=[
                ("id", models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
                ("cases", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(install, uninstall),
    ]
