"""Issue 17: the late-cases lists and the task list page from an index.

- ``StepDeadline.finished``: a copy of its flow task's ``finished``, filled here in one
  statement and kept by the triggers of ``sparring/cases/deadline_triggers.py``;
- partial indexes of the open deadlines by due date and by waiting time;
- ``task_open_step_created`` (viewflow's task table): the open tasks of the flow's steps
  (type FUNCTION) by the time they opened, read by ``/api/v1/tasks/``
  (``api.selectors.task_cases``). SQL that PostgreSQL and SQLite both understand;
- ``task_open_step`` (0021) goes: the late cases page no longer joins the task table.

The indexes are made after the copy (an index on the filled table is built once).
"""

from django.db import migrations, models

OPEN = "('NEW', 'SCHEDULED', 'STARTED', 'ERROR')"


def task_index(apps, schema_editor):
    """On PostgreSQL the index carries the process and the step's name, so that the list
    and its count read the open tasks from the index alone."""
    include = (
        " INCLUDE (process_id, flow_task)" if schema_editor.connection.vendor == "postgresql" else ""
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS task_open_step_created ON viewflow_task (created, id){include} "
        f"WHERE status IN {OPEN} AND flow_task_type = 'FUNCTION'"
    )


def drop_task_index(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS task_open_step_created")


def copy_and_install(apps, schema_editor):
    from sparring.cases import deadline_triggers

    deadline_triggers.backfill(schema_editor.connection)
    deadline_triggers.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from sparring.cases import deadline_triggers

    deadline_triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('sparring', '0023_merge_20261130_1600'),
        ('viewflow', '0015_task_scheduled'),
    ]

    operations = [
        migrations.AddField(
            model_name='stepdeadline',
            name='finished',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='finished'),
        ),
        migrations.RunPython(copy_and_install, uninstall),
        migrations.AddIndex(
            model_name='stepdeadline',
            index=models.Index(condition=models.Q(('finished__isnull', True)), fields=['due', 'id', 'case'], name='stepdeadline_open_due'),
        ),
        migrations.AddIndex(
            model_name='stepdeadline',
            index=models.Index(condition=models.Q(('finished__isnull', True)), fields=['since', 'id', 'case'], name='stepdeadline_open_since'),
        ),
        migrations.AddIndex(
            model_name='stepdeadline',
            index=models.Index(condition=models.Q(('finished__isnull', True)), fields=['case', 'due', 'id'], name='stepdeadline_open_case'),
        ),
        migrations.RunPython(task_index, drop_task_index),
        # Its only reader was the late cases page, which now reads the deadlines' own index.
        migrations.RunSQL(
            "DROP INDEX IF EXISTS task_open_step",
            "CREATE INDEX IF NOT EXISTS task_open_step ON viewflow_task (id) "
            "WHERE finished IS NULL AND flow_task_type = 'FUNCTION'",
        ),
    ]
