"""Issue 17 (session 8): the task list, the coordinators' queue and the invoicing basis
read indexes only.

- ``case_open_by_consultant`` (cases): a consultant's open cases (``states.OPEN``) with
  their flow process, read by ``/api/v1/tasks/`` (``api.selectors.TaskCases``);
- ``case_in_queue`` (cases): the queue's cases (``states.WAITING_FOR_COORDINATOR``,
  nobody's) with their flow process (``cases.selectors.coordinator_queue``);
- ``task_open_step_by_process`` (viewflow's tasks): a process's open step (type
  FUNCTION) with the step's name and the time it opened, looked up per case by both
  (the task list's consultant page, the queue's waiting time:
  ``cases.selectors.waiting_since``);
- ``sessionday_held_by_date`` (days) and ``case_price_by_consultant`` (cases): a month's
  held days with their case and id, and a called-off case's consultant and day price:
  the invoicing basis's count, total and page order (``procurement.reports``).

Made with ``CREATE INDEX CONCURRENTLY`` on PostgreSQL (the migration is not atomic), so
that a running programme keeps reading and writing both tables; on PostgreSQL the indexes
carry the columns the list reads (``INCLUDE``), so it does not visit the rows. SQL that
SQLite understands otherwise.
"""

from django.db import migrations

OPEN_CASE = (
    "('submitted', 'returned', 'approved', 'offered', 'scheduling', 'delivery', "
    "'reporting', 'feedback', 'closing')"
)
WAITING_FOR_COORDINATOR = "('submitted', 'approved', 'closing')"
OPEN_TASK = "('NEW', 'SCHEDULED', 'STARTED', 'ERROR')"

#: name -> (table, key, included columns, condition)
INDEXES = {
    "case_open_by_consultant": (
        "sparring_case",
        "consultant_id",
        "process_id",
        f"status IN {OPEN_CASE}",
    ),
    "case_in_queue": (
        "sparring_case",
        "id",
        "process_id",
        f"handler_id IS NULL AND status IN {WAITING_FOR_COORDINATOR}",
    ),
    "task_open_step_by_process": (
        "viewflow_task",
        "process_id",
        "flow_task, created",
        f"status IN {OPEN_TASK} AND flow_task_type = 'FUNCTION'",
    ),
    "sessionday_held_by_date": (
        "sparring_sessionday",
        "date",
        "case_id, id",
        "status = 'held'",
    ),
    "case_price_by_consultant": (
        "sparring_case",
        "id",
        "consultant_id, agreed_day_price",
        "consultant_id IS NOT NULL",
    ),
}


def add_indexes(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for name, (table, key, include, condition) in INDEXES.items():
        how = "CONCURRENTLY IF NOT EXISTS" if postgresql else "IF NOT EXISTS"
        extra = f" INCLUDE ({include})" if postgresql else ""
        schema_editor.execute(
            f"CREATE INDEX {how} {name} ON {table} ({key}){extra} WHERE {condition}"
        )


def remove_indexes(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sparring", "0025_case_list_indexes"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.RunPython(add_indexes, remove_indexes, atomic=False, elidable=False),
    ]
