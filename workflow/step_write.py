"""The writes of a waiting step of the case flow, at once (issue 17): when it is done,
its task and its open deadline timers' tasks; when it is reached, its new rows (its tasks,
their links and its deadline).

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

The deadline triggers (``sparring.cases.deadline_triggers``) see the same rows: the new
deadline row reads its task's ``finished`` (null: a new step is open, whether or not its
task's row is visible yet to the trigger), and the done step's UPDATE copies its
``finished`` to its own deadline row at the end of the statement.

When one step leads straight to the next (or through a ``CaseSwitch`` that picks a step),
the done step's UPDATE (:func:`complete_with_timers`) is held back on PostgreSQL and sent
in the next step's statement (``done``): nothing reads the flow's tasks in between (see
``workflow.nodes.CaseStepActivation.execute``).

The same statement writes a ``CeleryJob``'s task (already SCHEDULED) and its link, and a
``CaseEnd``'s task (done) and its link with the process's end (``finish``: the UPDATE of
:func:`process_finish_if_last`), each with the held UPDATE of a step done just before.
One statement sees the rows as they were before it, so the process's "no unfinished
task" leaves out the rows the done step's UPDATE returns (``_insert_sql``);
``tests/unit/workflow/test_end_and_job_write.py`` checks that the process ends exactly
when the ORM path ends it.
"""

from functools import cache

from django.db import connection
from django.db.models import AutoField, Exists, signals
from django.utils import timezone
from viewflow.workflow.status import STATUS

#: a link's end: a new task's index in the list of tasks, or None (a task with a row)
_End = int | None


def one_statement() -> bool:
    """Whether a step's writes go in one statement here (PostgreSQL) or the ORM's."""
    return connection.vendor == "postgresql"


def step_rows_insert(
    task_class,
    tasks: list,
    links: list[tuple],
    deadline=None,
    done: tuple | None = None,
    finish=None,
) -> bool:
    """Insert ``tasks`` (unsaved, in this order), the unsaved ``deadline`` (a
    ``StepDeadline`` whose ``task`` is one of ``tasks``, or None) and ``links`` (pairs
    ``(task, task before it)`` of new or saved tasks); afterwards each instance is as
    its ORM save leaves it (``pk`` set, ``_state.adding`` False).

    Args:
        task_class: the flow's task model.
        tasks: the new tasks.
        links: the new rows of the tasks' ``previous`` links.
        deadline: the step's new deadline row, or None.
        done: ``(task, timers)``: a done step's task and its deadline timer nodes, whose
            :func:`complete_with_timers` is written first (in the same statement on
            PostgreSQL), or None.
        finish: the process (a ``CaseEnd``'s, whose task is the one finished task of
            ``tasks``) to mark done by :func:`process_finish_if_last` when, ``done``
            written, none of its tasks is unfinished; or None.

    Returns:
        Whether ``finish`` was marked done (False without ``finish``).

    One statement on PostgreSQL (see the module), three (four with ``done``, five with
    ``finish``) on other databases.
    """
    if finish is not None and any(task.finished is None for task in tasks):
        raise ValueError("a process is finished only with finished new tasks")
    if one_statement() and tasks:
        finished = _insert_at_once(task_class, tasks, links, deadline, done, finish)
        if finished is not None:
            return finished
    return step_rows_insert_orm(task_class, tasks, links, deadline, done, finish)


def step_rows_insert_orm(
    task_class,
    tasks: list,
    links: list[tuple],
    deadline=None,
    done: tuple | None = None,
    finish=None,
) -> bool:
    """:func:`step_rows_insert` with the ORM, in three statements (SQLite; the reference
    of the PostgreSQL statement); ``done`` first and ``finish`` last
    (:func:`process_finish_if_last`), each in its own statement."""
    if done is not None:
        complete_with_timers(task_class, *done)
    link = task_class.previous.through
    task_class._default_manager.bulk_create(tasks)
    if deadline is not None:
        deadline.save()
    link._default_manager.bulk_create(
        [link(from_task_id=source.pk, to_task_id=target.pk) for source, target in links]
    )
    return finish is not None and process_finish_if_last(task_class, finish)


def process_finish_if_last(task_class, process, exclude_task=None) -> bool:
    """Mark ``process`` done (status and ``finished``, in the row and on the instance)
    when none of its tasks but ``exclude_task`` (a pk, or None) is unfinished; whether
    it was.

    One ``UPDATE … WHERE NOT EXISTS (open task)``: what viewflow's End does with an
    EXISTS query and then a save of the process (its ``save(update_fields=…)`` sends
    the model's save signals, which nothing in the product listens to). The statement
    decides in the caller's transaction as the query did (the process is locked by the
    flow lock). ``tests/unit/workflow/test_cheaper_nodes.py`` compares it with the query
    and save it replaced; on PostgreSQL :func:`step_rows_insert` (``finish``) writes the
    same UPDATE in its statement.
    """
    others = task_class._default_manager.filter(process_id=process.pk, finished__isnull=True)
    if exclude_task is not None:
        others = others.exclude(pk=exclude_task)
    finished = timezone.now()
    done = (
        type(process)
        ._default_manager.filter(pk=process.pk)
        .filter(~Exists(others))
        .update(status=STATUS.DONE, finished=finished)
    )
    if done:
        process.status = STATUS.DONE
        process.finished = finished
    return bool(done)


def complete_with_timers(task_class, task, timers: list) -> None:
    """Mark ``task`` done (its ``started`` and ``finished``) and cancel its open ``timers``'
    tasks (those linked to it, NEW or SCHEDULED) in one UPDATE.

    The statement Django made of the ORM update this replaced (compared in
    ``tests/unit/workflow/test_complete_sql.py``), written once per task model and
    number of timers (``_complete_sql``): building its CASE and subquery took ~1 ms
    of CPU per step (issue 17).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            _complete_sql(task_class, len(timers)), _complete_params(task_class, task, timers)
        )


def _complete_params(task_class, task, timers: list) -> list:
    """The parameters of ``_complete_sql`` for ``task`` and its timer nodes."""
    fields = task_class._meta
    started = fields.get_field("started").get_db_prep_save(task.started, connection)
    finished = fields.get_field("finished").get_db_prep_save(task.finished, connection)
    flow_task = fields.get_field("flow_task")
    return (
        [task.pk, STATUS.DONE, STATUS.CANCELED, task.pk, started, finished, task.pk]
        + [flow_task.get_db_prep_value(timer, connection) for timer in timers]
        + [task.pk, task.process_id, STATUS.NEW, STATUS.SCHEDULED]
    )


@cache
def _complete_sql(task_class, timers: int) -> str:
    quote = connection.ops.quote_name
    meta = task_class._meta
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    link = meta.get_field("previous").remote_field.through._meta
    column = {name: quote(meta.get_field(name).column) for name in ("status", "started")}
    column |= {name: quote(meta.get_field(name).column) for name in ("finished", "flow_task")}
    process = quote(meta.get_field("process").column)
    from_task = quote(link.get_field("from_task").column)
    to_task = quote(link.get_field("to_task").column)
    marks = ", ".join(["%s"] * timers)
    return (
        f"UPDATE {table} SET {column['status']} = CASE WHEN ({table}.{pk} = %s) THEN %s ELSE %s END, "  # noqa: S608 (the model's names)
        f"{column['started']} = CASE WHEN ({table}.{pk} = %s) THEN %s "
        f"ELSE {table}.{column['started']} END, {column['finished']} = %s "
        f"WHERE ({table}.{pk} = %s OR {table}.{pk} IN (SELECT U0.{pk} FROM {table} U0 "
        f"INNER JOIN {quote(link.db_table)} U1 ON (U0.{pk} = U1.{from_task}) "
        f"WHERE (U0.{column['flow_task']} IN ({marks}) AND U1.{to_task} = %s "
        f"AND U0.{process} = %s AND U0.{column['status']} IN (%s, %s))))"
    )


def _insert_at_once(
    task_class, tasks: list, links: list[tuple], deadline, done, finish
) -> bool | None:
    """The PostgreSQL statement; whether ``finish`` was marked done, or None (nothing
    written) when a value is not a plain parameter (a database expression: the ORM
    writes those)."""
    position = {id(task): index for index, task in enumerate(tasks)}
    shape = tuple((position.get(id(source)), position.get(id(target))) for source, target in links)
    for task in tasks:  # what bulk_create does first (e.g. the process's id, saved since)
        task._prepare_related_fields_for_save(operation_name="bulk_create")
    params = _complete_params(task_class, *done) if done is not None else []
    params += [connection.ops.quote_name(task_class._meta.db_table), task_class._meta.pk.column]
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
            return None
    if any(hasattr(value, "resolve_expression") for value in params):
        return None
    if deadline is not None:  # as its save() does
        signals.pre_save.send(
            sender=deadline_model,
            instance=deadline,
            raw=False,
            using=connection.alias,
            update_fields=None,
        )
        params += _values(deadline_fields, deadline)
    finished = None
    if finish is not None:  # process_finish_if_last's UPDATE
        finished = timezone.now()
        process_meta = type(finish)._meta
        params += [
            process_meta.get_field("status").get_db_prep_save(STATUS.DONE, connection),
            process_meta.get_field("finished").get_db_prep_save(finished, connection),
            finish.pk,
            finish.pk,
        ]
    done_timers = len(done[1]) if done is not None else None
    sql = _insert_sql(
        task_class,
        len(tasks),
        shape,
        deadline_model,
        step_index,
        done_timers,
        type(finish) if finish is not None else None,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids, deadline_pk, ended = cursor.fetchone()
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
    if ended:
        finish.status, finish.finished = STATUS.DONE, finished
    return bool(ended)


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
    task_class,
    count: int,
    shape: tuple[tuple[_End, _End], ...],
    deadline_model,
    step_index,
    done_timers: int | None,
    process_model=None,
) -> str:
    """The statement for ``count`` tasks, the links of ``shape``, a deadline row of
    ``deadline_model`` (None: no deadline) for the task at ``step_index``, unless
    ``done_timers`` is None a done step's UPDATE with that many timer nodes and, unless
    ``process_model`` is None, ``process_finish_if_last``'s UPDATE of the process.

    Its parameters: the done step's (``_complete_params``), the task table's name and
    id column (for its sequence), each task's
    field values (``_insert_fields``), the saved end of each link whose end is not new
    (source before target), the deadline's field values but its task, the process's
    status and ``finished`` and its id twice.

    All parts of the statement see the rows as they were before it: the process's
    UPDATE does not see the done step's, so its "no unfinished task" leaves out the
    tasks the done step's UPDATE returns (the step and the timers it cancels: it sets
    ``finished`` on each row it writes); the new tasks are finished.

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
    returning = f" RETURNING {quote(meta.db_table)}.{pk}" if process_model is not None else ""
    ctes = (
        [f"done AS ({_complete_sql(task_class, done_timers)}{returning})"]
        if done_timers is not None
        else []
    )
    ctes += [
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
    ended = "0"
    if process_model is not None:
        process = process_model._meta
        table = quote(process.db_table)
        status, finished = (quote(process.get_field(n).column) for n in ("status", "finished"))
        others = (
            f"U0.{quote(meta.get_field('process').column)} = %s "
            f"AND U0.{quote(meta.get_field('finished').column)} IS NULL"
        )
        if done_timers is not None:
            others += f" AND NOT (U0.{pk} IN (SELECT done.{pk} FROM done))"  # noqa: S608
        ctes.append(
            f"finish AS (UPDATE {table} SET {status} = %s, {finished} = %s "  # noqa: S608
            f"WHERE ({table}.{quote(process.pk.column)} = %s AND NOT EXISTS("
            f"SELECT 1 FROM {quote(meta.db_table)} U0 WHERE ({others}))) "
            f"RETURNING {table}.{quote(process.pk.column)})"
        )
        ended = "(SELECT count(*) FROM finish)"
    return f"WITH {', '.join(ctes)} SELECT ids.id, {deadline}, {ended} FROM ids"  # noqa: S608
