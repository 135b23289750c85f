"""Issue 17 (session 8): a coordinator's "My cases", the queue and the task list's counts
read indexes only.

- ``case_handled_open`` (cases): a coordinator's open cases (``Case.handler``,
  ``states.ASSIGNABLE``, which is ``states.OPEN``) by id, with what the list sorts by
  (flow process for the waiting time, organisation, reference, status): "My cases" counts
  and picks its page from the index without reading the case rows
  (``cases.selectors.my_cases``); before it a coordinator with 5 000 cases cost 12 ms for
  the count and 53 ms for a page's ids at 100 000 cases;
- ``case_queue_rows`` (cases): the queue's cases (``states.WAITING_FOR_COORDINATOR``,
  nobody's) by id with the same columns: the queue sorted by organisation (or reference,
  or step) picks its page without reading the rows (``cases.selectors.coordinator_queue``;
  ``case_in_queue`` of 0026 carries only the process);
- ``case_open_by_organisation`` (cases): an organisation's open cases with their flow
  process, as ``case_open_by_consultant`` of 0026 is a consultant's: an applicant's
  ``/api/v1/tasks/`` list and count (``api.selectors.TaskCases``);
- ``case_by_process`` (cases): a flow process's case id (the unique index of
  ``Case.process`` reads the row for it): the task list joins each open step it pages to
  its case (a consultant's 800 open steps at 100 000 cases: 9.4 ms to 5.6 ms a page);
- ``task_open_step_by_name`` (viewflow's tasks): the open steps (type FUNCTION) by the
  step's name: a coordinator's ``/api/v1/tasks/`` count reads only the entries of the
  coordinators' steps (4 800 of 14 600 open steps at 100 000 cases: 2.2 ms to 0.4 ms).

Made with ``CREATE INDEX CONCURRENTLY`` on PostgreSQL (the migration is not atomic), as
0026; the ``INCLUDE`` columns only there, SQL that SQLite understands otherwise.
"""

from django.db import migrations

OPEN_CASE = (
    "('submitted', 'returned', 'approved', 'offered', 'scheduling', 'delivery', "
    "'reporting', 'feedback', 'closing')"
)
WAITING_FOR_COORDINATOR = "('submitted', 'approved', 'closing')"
OPEN_TASK = "('NEW', 'SCHEDULED', 'STARTED', 'ERROR')"
ROW = "process_id, organisation_id, reference, status"

#: name -> (table, key, included columns, condition; "": none)
INDEXES = {
    "case_handled_open": (
        "sparring_case",
        "handler_id, id",
        ROW,
        f"status IN {OPEN_CASE}",
    ),
    "case_open_by_organisation": (
        "sparring_case",
        "organisation_id",
        "process_id",
        f"status IN {OPEN_CASE}",
    ),
    "case_by_process": (
        "sparring_case",
        "process_id",
        "id",
        "",
    ),
    "task_open_step_by_name": (
        "viewflow_task",
        "flow_task",
        "",
        f"status IN {OPEN_TASK} AND flow_task_type = 'FUNCTION'",
    ),
    "case_queue_rows": (
        "sparring_case",
        "id",
        ROW,
        f"handler_id IS NULL AND status IN {WAITING_FOR_COORDINATOR}",
    ),
}


def add_indexes(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for name, (table, key, include, condition) in INDEXES.items():
        how = "CONCURRENTLY IF NOT EXISTS" if postgresql else "IF NOT EXISTS"
        extra = f" INCLUDE ({include})" if postgresql and include else ""
        where = f" WHERE {condition}" if condition else ""
        schema_editor.execute(f"CREATE INDEX {how} {name} ON {table} ({key}){extra}{where}")


def remove_indexes(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sparring", "0026_covering_list_indexes"),
    ]

    operations = [
        migrations.RunPython(add_indexes, remove_indexes, atomic=False, elidable=False),
    ]
