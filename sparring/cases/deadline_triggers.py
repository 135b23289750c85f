"""The triggers that keep ``StepDeadline.finished`` equal to its flow task's ``finished``
(PostgreSQL and SQLite; issue 17).

The late-cases page and API list the deadlines of the steps still waiting. Whether a step
waits is its viewflow task's ``finished`` (null: neither done nor cancelled); reading it
through a join to the task table (3.4 million rows at 100 000 cases) could not be paged
by an index. A copy on the deadline row can: the partial indexes ``stepdeadline_open_due``
and ``stepdeadline_open_since`` hold only the open rows.

Every path that finishes a task writes the task's row: a step taken (``transitions.step_run``
through viewflow's activation), a case withdrawn, cancelled or rejected (viewflow's
``Flow.cancel`` cancels each open task), a timer or a job done, an administrator's undo or
revive in viewflow's own pages. So the copy is made by the database, not by each path:

- ``viewflow_task``, after an UPDATE that changes ``finished``: the deadline row of that
  task (if any) gets the new value;
- ``sparring_stepdeadline``, on INSERT and UPDATE: the row's ``finished`` is read from its
  task, whatever the writer set (a stale instance saved again cannot reopen a step).

Installed by migration ``sparring 0024`` and again after every ``migrate`` when missing
(``SparringConfig.ready``): on SQLite a later migration that rebuilds one of these tables
drops its triggers. The bench generator writes its rows with the triggers off
(PostgreSQL's replica role) and sets ``finished`` itself.
"""

# The table names are written out: every statement is a constant.
_POSTGRESQL = [
    """
    CREATE OR REPLACE FUNCTION step_deadline_follow_task() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE sparring_stepdeadline SET finished = NEW.finished WHERE task_id = NEW.id;
        RETURN NULL;
    END $$;
    """,
    "DROP TRIGGER IF EXISTS step_deadline_finished ON viewflow_task",
    """CREATE TRIGGER step_deadline_finished AFTER UPDATE OF finished ON viewflow_task
        FOR EACH ROW WHEN (OLD.finished IS DISTINCT FROM NEW.finished)
        EXECUTE FUNCTION step_deadline_follow_task()""",
    """
    CREATE OR REPLACE FUNCTION step_deadline_read_task() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.finished := (SELECT finished FROM viewflow_task WHERE id = NEW.task_id);
        RETURN NEW;
    END $$;
    """,
    "DROP TRIGGER IF EXISTS step_deadline_finished ON sparring_stepdeadline",
    """CREATE TRIGGER step_deadline_finished BEFORE INSERT OR UPDATE ON sparring_stepdeadline
        FOR EACH ROW EXECUTE FUNCTION step_deadline_read_task()""",
]

# SQLite: a trigger cannot change NEW, so the deadline row is corrected after the write
# (recursive triggers are off, and the WHEN clause stops at the right value anyway).
_SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS step_deadline_finished_task
        AFTER UPDATE OF finished ON viewflow_task
        FOR EACH ROW WHEN OLD.finished IS NOT NEW.finished
        BEGIN
            UPDATE sparring_stepdeadline SET finished = NEW.finished WHERE task_id = NEW.id;
        END""",
    """CREATE TRIGGER IF NOT EXISTS step_deadline_finished_insert
        AFTER INSERT ON sparring_stepdeadline
        FOR EACH ROW WHEN NEW.finished IS NOT (SELECT finished FROM viewflow_task WHERE id = NEW.task_id)
        BEGIN
            UPDATE sparring_stepdeadline
            SET finished = (SELECT finished FROM viewflow_task WHERE id = NEW.task_id)
            WHERE id = NEW.id;
        END""",
    """CREATE TRIGGER IF NOT EXISTS step_deadline_finished_update
        AFTER UPDATE ON sparring_stepdeadline
        FOR EACH ROW WHEN NEW.finished IS NOT (SELECT finished FROM viewflow_task WHERE id = NEW.task_id)
        BEGIN
            UPDATE sparring_stepdeadline
            SET finished = (SELECT finished FROM viewflow_task WHERE id = NEW.task_id)
            WHERE id = NEW.id;
        END""",
]
_SQLITE_NAMES = (
    "step_deadline_finished_task",
    "step_deadline_finished_insert",
    "step_deadline_finished_update",
)


def installed(connection) -> int:
    """How many of the triggers exist (``expected()`` when all do)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'step_deadline_finished'"
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master "
                "WHERE type = 'trigger' AND name LIKE 'step_deadline_finished_%'"
            )
        return cursor.fetchone()[0]


def expected(connection) -> int:
    """The number of triggers ``install`` creates on this database."""
    return 2 if connection.vendor == "postgresql" else len(_SQLITE)


def install(connection) -> None:
    """Create (or replace) the triggers; idempotent.

    Raises:
        RuntimeError: a database other than PostgreSQL or SQLite.
    """
    statements = {"postgresql": _POSTGRESQL, "sqlite": _SQLITE}.get(connection.vendor)
    if statements is None:
        raise RuntimeError(f"no step deadline triggers for {connection.vendor}")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def uninstall(connection) -> None:
    """Drop the triggers (the migration's reverse)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS step_deadline_finished ON viewflow_task")
            cursor.execute("DROP TRIGGER IF EXISTS step_deadline_finished ON sparring_stepdeadline")
            cursor.execute("DROP FUNCTION IF EXISTS step_deadline_follow_task()")
            cursor.execute("DROP FUNCTION IF EXISTS step_deadline_read_task()")
        else:
            for name in _SQLITE_NAMES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def backfill(connection) -> None:
    """Copy every deadline's task's ``finished`` once (the migration; one statement).

    PostgreSQL joins the two tables (about 10 s for 680 000 rows); SQLite reads each
    task by its key.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE sparring_stepdeadline AS d SET finished = t.finished "
                "FROM viewflow_task AS t "
                "WHERE t.id = d.task_id AND d.finished IS DISTINCT FROM t.finished"
            )
        else:
            cursor.execute(
                "UPDATE sparring_stepdeadline SET finished = (SELECT finished "
                "FROM viewflow_task WHERE id = sparring_stepdeadline.task_id)"
            )
