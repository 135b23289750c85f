"""A waiting step's new rows written at once: its tasks, their links and its deadline
(issue 17).

When the case flow reaches a :class:`workflow.nodes.CaseStep`, the step's task, its
deadline timers' tasks and the done task of a ``CaseSwitch``, ``CaseFunction`` or
``CaseStart`` before it (written here, not on its own) are inserted, then the step's
``StepDeadline`` row, then the links between the tasks (each task to the one before it).

On PostgreSQL that is one statement (a data-modifying ``WITH``): the new tasks' ids are
reserved first from the task table's own sequence (``nextval`` of
``pg_get_serial_sequence``), so the deadline row and the links name them in the same
statement, and Python learns them in the tasks' order (the smallest id to the first
task, as ``bulk_create`` gives them). The rows get the values the ORM writes (each
field's ``pre_save`` and ``get_db_prep_save``, as its insert compiler does); the
statement is made once per shape (number of tasks, links, a deadline or not) and kept.
SQLite has no data-modifying ``WITH``: there the ORM writes them in three statements
(``bulk_create`` of the tasks, ``save`` of the deadline, ``bulk_create`` of the links),
which ``tests/unit/workflow/test_step_write.py`` also uses as the reference for the
PostgreSQL statement.
"""

from functools import cache

from django.db import connection
from django.db.models import AutoField, signals

#: a link's end: a new task's index in the list of tasks, or None (a task with a row)
_End = int | None


def step_rows_insert(task_class, tasks: list, links: list[tuple], deadline=None) -> None:
    """Insert ``tasks`` (unsaved, in this order), the unsaved ``deadline`` (a
    ``StepDeadline`` whose ``task`` is one of ``tasks``, or None) and ``links`` (pairs
    ``(task, task before it)`` of new or saved tasks); afterwards each instance is as
    its ORM save leaves it (``pk`` set, ``_state.adding`` False).

    Args:
        task_class: the flow's task model.
        tasks: the new tasks.
        links: the new rows of the tasks' ``previous`` links.
        deadline: the step's new deadline row, or None.

    One statement on PostgreSQL (see the module), three on other databases.
    """
    if (
        connection.vendor == "postgresql"
        and tasks
        and _insert_at_once(task_class, tasks, links, deadline)
    ):
        return
    step_rows_insert_orm(task_class, tasks, links, deadline)


def step_rows_insert_orm(task_class, tasks: list, links: list[tuple], deadline=None) -> None:
    """:func:`step_rows_insert` with the ORM, in three statements (SQLite; the reference
    of the PostgreSQL statement)."""
    link = task_class.previous.through
    task_class._default_manager.bulk_create(tasks)
    if deadline is not None:
        deadline.save()
    link._default_manager.bulk_create(
        [link(from_task_id=source.pk, to_task_id=target.pk) for source, target in links]
    )


def _insert_at_once(task_class, tasks: list, links: list[tuple], deadline) -> bool:
    """The PostgreSQL statement; False (nothing written) when a value is not a plain
    parameter (a database expression: the ORM writes those)."""
    position = {id(task): index for index, task in enumerate(tasks)}
    shape = tuple((position.get(id(source)), position.get(id(target))) for source, target in links)
    for task in tasks:  # what bulk_create does first (e.g. the process's id, saved since)
        task._prepare_related_fields_for_save(operation_name="bulk_create")
    params = [connection.ops.quote_name(task_class._meta.db_table), task_class._meta.pk.column]
    for task in tasks:
        params += _values(_insert_fields(task_class), task)
    for (source_at, target_at), (source, target) in zip(shape, links, strict=True):
        params += [source.pk] if source_at is None else []
        params += [target.pk] if target_at is None else []
    deadline_model = step_index = None
    if deadline is not None:
        deadline_model = type(deadline)
        step_index = position[id(deadline.task)]  # the task is cached on it: no query
        deadline_fields = [f for f in _insert_fields(deadline_model) if f.name != "task"]
        if any(
            hasattr(getattr(deadline, f.attname), "resolve_expression") for f in deadline_fields
        ):
            return False
    if any(hasattr(value, "resolve_expression") for value in params):
        return False
    if deadline is not None:  # as its save() does
        signals.pre_save.send(
            sender=deadline_model,
            instance=deadline,
            raw=False,
            using=connection.alias,
            update_fields=None,
        )
        params += _values(deadline_fields, deadline)
    sql = _insert_sql(task_class, len(tasks), shape, deadline_model, step_index)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids, deadline_pk = cursor.fetchone()
    for task, pk in zip(tasks, ids, strict=True):
        task.pk = pk
        task._state.adding = False
        task._state.db = connection.alias
    if deadline is not None:
        deadline._prepare_related_fields_for_save(operation_name="save")  # its task's id
        deadline.pk = deadline_pk
        deadline._state.adding = False
        deadline._state.db = connection.alias
        signals.post_save.send(
            sender=deadline_model,
            instance=deadline,
            created=True,
            update_fields=None,
            raw=False,
            using=connection.alias,
        )
    return True


@cache
def _insert_fields(model) -> tuple:
    """The fields the ORM inserts for a new row of ``model`` (its id from the database)."""
    return tuple(
        f for f in model._meta.concrete_fields if not f.generated and not isinstance(f, AutoField)
    )


def _values(fields: list, instance) -> list:
    """The parameters the ORM's insert compiler sends for ``instance``'s ``fields``."""
    return [f.get_db_prep_save(f.pre_save(instance, True), connection=connection) for f in fields]


@cache
def _insert_sql(
    task_class, count: int, shape: tuple[tuple[_End, _End], ...], deadline_model, step_index
) -> str:
    """The statement for ``count`` tasks, the links of ``shape`` and a deadline row of
    ``deadline_model`` (None: no deadline) for the task at ``step_index``.

    Its parameters: the task table's name and id column (for its sequence), each task's
    field values (``_insert_fields``), the saved end of each link whose end is not new
    (source before target), the deadline's field values but its task.

    Raises:
        ValueError: a field with its own placeholder (not a plain parameter).
    """
    quote = connection.ops.quote_name
    meta = task_class._meta
    task_fields = _insert_fields(task_class)

    def plain(fields) -> str:
        if any(hasattr(f, "get_placeholder") for f in fields):
            raise ValueError("a field with its own placeholder")
        return ", ".join(["%s"] * len(fields))

    def new_id(index: int) -> str:
        return f"(SELECT ids.id[{index + 1}] FROM ids)"  # noqa: S608 (a number)

    def columns(fields) -> str:
        return ", ".join(quote(f.column) for f in fields)

    pk = quote(meta.pk.column)
    task_row = plain(task_fields)
    ctes = [
        # the smallest reserved id is the first task's (the order bulk_create gives)
        "ids AS MATERIALIZED (SELECT array_agg(reserved.id ORDER BY reserved.id) AS id "  # noqa: S608 (a number)
        "FROM (SELECT nextval((SELECT pg_get_serial_sequence(%s, %s))::regclass) AS id "
        f"FROM generate_series(1, {count})) AS reserved)",
        f"tasks AS (INSERT INTO {quote(meta.db_table)} ({pk}, {columns(task_fields)}) VALUES "  # noqa: S608 (the models' names)
        + ", ".join(f"({new_id(index)}, {task_row})" for index in range(count))
        + ")",
    ]
    if shape:
        link = meta.get_field("previous").remote_field.through._meta
        ends = (quote(link.get_field("from_task").column), quote(link.get_field("to_task").column))
        rows = ", ".join(
            "(" + ", ".join("%s" if end is None else new_id(end) for end in (source, target)) + ")"
            for source, target in shape
        )
        ctes.append(
            f"links AS (INSERT INTO {quote(link.db_table)} ({ends[0]}, {ends[1]}) VALUES {rows})"  # noqa: S608
        )
    deadline = "NULL::bigint"
    if deadline_model is not None:
        fields = _insert_fields(deadline_model)
        values = ", ".join(new_id(step_index) if f.name == "task" else plain([f]) for f in fields)
        table = quote(deadline_model._meta.db_table)
        ctes.append(
            f"deadline AS (INSERT INTO {table} ({columns(fields)}) VALUES ({values}) "  # noqa: S608
            f"RETURNING {quote(deadline_model._meta.pk.column)})"
        )
        deadline = "(SELECT * FROM deadline)"
    return f"WITH {', '.join(ctes)} SELECT ids.id, {deadline} FROM ids"  # noqa: S608
