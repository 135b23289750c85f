"""The lock every flow of the product uses, and the read of tasks that takes it.

viewflow's default is no lock at all. On PostgreSQL the process row is locked
with ``SELECT ... FOR UPDATE``; elsewhere (SQLite, the embedded default) a
cache lock is used, which is Redis when REDIS_URL is set.

``locked_tasks`` takes a flow's lock and reads tasks of the process under it. With
the PostgreSQL lock that is one statement (issue 17): the tasks joined to their
process, read ``FOR UPDATE OF`` the process and the tasks, instead of the lock's
``SELECT 1 … FOR UPDATE`` and then the read.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.lock import CacheLock, SelectForUpdateLock, lock_scope


def product_lock():
    """Return the lock implementation for the configured database."""
    if settings.USES_POSTGRESQL:
        # Wait for the row instead of failing at once: a coordinator's click and
        # a worker's completion may meet on the same case.
        return SelectForUpdateLock(nowait=False, attempts=1)
    return CacheLock(attempts=10, expires=300)


flow_lock = product_lock()

#: What the locking read locks, in this order for each row: the process first, as the
#: flow lock does (PostgreSQL locks a row's tables in the order of ``FOR UPDATE OF``),
#: so that it cannot deadlock with a holder of the lock that then writes the task.
LOCKED_OF = ("process", "self")


def lock_is_a_read(lock) -> bool:
    """Whether the flow lock ``lock`` (a flow's ``lock_impl``) can be taken by the read of
    its tasks: PostgreSQL's row lock that waits, tried once (``product_lock``'s), on a
    database that has ``SELECT … FOR UPDATE OF``."""
    return (
        isinstance(lock, SelectForUpdateLock)
        and not lock.nowait
        and lock.attempts == 1
        and connection.features.has_select_for_update_of
    )


class TasksRead:
    """The tasks read under the flow lock by ``locked_tasks``.

    ``rows``: the tasks as the locking statement found them. Each of them is current
    (a row changed by a transaction the statement waited for is read as that
    transaction left it, and left out when it no longer matches). Not in it: a task
    *inserted* by such a transaction (the statement's snapshot is older); a caller
    that does not find the task it looks for asks ``again()``.
    """

    def __init__(self, tasks: QuerySet, rows: list, *, fresh: bool) -> None:
        self._tasks = tasks
        self.rows = rows
        self._fresh = fresh

    def again(self) -> list:
        """The tasks read again under the lock (a query only when ``rows`` came from the
        locking statement: a lock taken first and then read has nothing new to show)."""
        if not self._fresh:
            self.rows = list(self._tasks.all())
            self._fresh = True
        return self.rows


class _NothingWanted(Exception):
    """The locking read found nothing its caller looks for: its transaction is left."""


@contextmanager
def locked_tasks(
    flow_class,
    process_pk: int,
    tasks: QuerySet,
    wanted: Callable[[list], bool] | None = None,
) -> Iterator[TasksRead]:
    """``flow_class``'s lock on process ``process_pk`` (as ``flow_class.lock``), with
    ``tasks`` read under it.

    With the PostgreSQL lock (``lock_is_a_read``) the read takes the lock: one statement
    ``SELECT … FOR UPDATE OF process, task`` that waits for a holder of the lock as the
    lock's own statement does. When it finds no task (so it locked nothing), the
    process is locked the lock's way and the tasks read again. Elsewhere (SQLite's
    cache lock) the lock is taken, then the tasks are read. Either way the work inside
    runs in one transaction under viewflow's ``lock_scope``: a ``flow_class.lock`` of the
    same process inside it behaves as before (the row is held already), and the
    callbacks of ``after_lock_released`` run once the transaction has committed.

    ``wanted`` (PostgreSQL's lock only) says whether rows hold what the caller looks for
    (the open task of its step). When the locking read's rows do not, its transaction
    (or savepoint) is rolled back at once, before anything else: a read whose task row
    was changed by the holder it waited for still locks the process row, and many
    people who click the same step together would otherwise be let through one after
    the other, each waiting for the previous one's statements (issue 17: concurrent
    completions). The tasks are then read without a lock (a new snapshot: it sees a
    task inserted by a transaction the locking read waited for): when they hold it,
    the lock is taken again as above; when not, the block runs with those rows, outside
    any transaction and without the lock, and must only refuse.

    Args:
        flow_class: the flow whose lock guards the process.
        process_pk: the process.
        tasks: tasks of that process, with ``select_related("process")`` (the join the
            lock needs); not evaluated yet.
        wanted: a test of a list of those tasks (no queries), or None to always lock.

    Raises:
        FlowLockFailed: the lock could not be taken (a database error while waiting,
            e.g. a lock timeout), as the lock itself raises it.
    """
    if not lock_is_a_read(flow_class.lock_impl):
        with flow_class.lock(process_pk):
            yield TasksRead(tasks, list(tasks), fresh=True)
        return
    if wanted is not None:
        try:
            with _locked_by_reading(flow_class, process_pk, tasks, wanted) as read:
                yield read
            return
        except _NothingWanted:
            pass  # rolled back: nothing is locked any more
        rows = list(tasks.all())
        if not wanted(rows):
            yield TasksRead(tasks, rows, fresh=True)
            return
    with _locked_by_reading(flow_class, process_pk, tasks, None) as read:
        yield read


@contextmanager
def _locked_by_reading(flow_class, process_pk: int, tasks: QuerySet, wanted) -> Iterator[TasksRead]:
    """``locked_tasks`` with PostgreSQL's lock: the locking read in a transaction, under
    viewflow's ``lock_scope``; ``_NothingWanted`` (the transaction rolled back) when
    ``wanted`` is given and false of its rows."""
    read = TasksRead(tasks, [], fresh=False)

    @contextmanager
    def lock_by_reading(flow_class, process_pk):
        with transaction.atomic():
            read.rows = _locking_read(flow_class, tasks)
            if wanted is not None and not wanted(read.rows):
                raise _NothingWanted
            if not read.rows:  # nothing locked: the lock's own statement, then a read
                try:
                    process = flow_class.process_class._default_manager.filter(pk=process_pk)
                    process.select_for_update().exists()
                except DatabaseError as exc:
                    raise FlowLockFailed(f"Lock failed for {flow_class}") from exc
                read.rows, read._fresh = list(tasks.all()), True
            yield

    with lock_scope(lock_by_reading, flow_class, process_pk):
        yield read


def _locking_read(flow_class, tasks: QuerySet) -> list:
    """``tasks`` read ``FOR UPDATE OF`` their process and themselves (waits for a holder).

    Raises:
        FlowLockFailed: a database error while locking (as ``SelectForUpdateLock``'s).
    """
    try:
        return list(tasks.select_for_update(of=LOCKED_OF))
    except DatabaseError as exc:
        raise FlowLockFailed(f"Lock failed for {flow_class}") from exc


@contextmanager
def locked_task(task_class, task_pk: int, *, only_if=None, lock=None) -> Iterator:
    """The task ``task_pk`` with its process, read under its flow's lock; ``None`` (and
    nothing locked) when there is no such task.

    For a worker that has only the task's id (``workflow.services.job_run``): when
    ``lock`` (default: the product's ``flow_lock``, which every flow of the product
    uses) is PostgreSQL's, one statement reads the task and takes the lock, as in
    ``locked_tasks``; a task read so is current (a change made while the statement
    waited is seen). A task whose flow has another lock is then read again under that
    lock too. Otherwise the task is read, then its flow's lock taken: the task is as
    it was read *before* the lock (the caller compares and sets, see
    ``CeleryJobActivation.start_as_read``), and a task for which ``only_if(task)`` is
    false is yielded without taking the lock (the caller skips it, as it did before).

    Raises:
        FlowLockFailed: the lock could not be taken.
    """
    lock = flow_lock if lock is None else lock
    tasks = task_class._default_manager.select_related("process").filter(pk=task_pk)
    if not lock_is_a_read(lock):
        task = tasks.first()
        if task is None or (only_if is not None and not only_if(task)):
            yield task
            return
        with task.flow_task.flow_class.lock(task.process_id):
            yield task
        return
    found: list = []

    @contextmanager
    def lock_by_reading(flow_class, process_pk):
        with transaction.atomic():
            found.extend(_locking_read(flow_class, tasks))
            yield

    with lock_scope(lock_by_reading, None, None):
        task = found[0] if found else None
        flow_class = getattr(getattr(task, "flow_task", None), "flow_class", None)
        if flow_class is None or flow_class.lock_impl is lock:
            yield task
            return
        with flow_class.lock(task.process_id):  # a flow with a lock of its own
            yield tasks.get()


@contextmanager
def lock_taken_by_claim(flow_class, process_pk: int) -> Iterator[bool]:
    """``flow_class``'s lock on process ``process_pk`` for a block whose first statement is
    the claim of a task (``UPDATE … WHERE status = …``, ``workflow.nodes.claimed_rows``).

    With the PostgreSQL lock (``lock_is_a_read``) the claim itself takes it: its
    ``WHERE`` locks the process row (a sub-select ``FOR UPDATE``), which PostgreSQL does
    before it writes the task, and a task row another holder of the lock changed while it
    waited is checked again as that one left it. Yields True then (the caller tells the
    activation, ``lock_with_claim``); the block runs in one transaction under viewflow's
    ``lock_scope``, as under ``flow_class.lock``. Otherwise the lock is taken here and
    False is yielded. A claim that matches no row may have locked nothing: the caller
    writes nothing more then (its activation raises).
    """
    if not lock_is_a_read(flow_class.lock_impl):
        with flow_class.lock(process_pk):
            yield False
        return

    @contextmanager
    def in_one_transaction(flow_class, process_pk):
        with transaction.atomic():
            yield

    with lock_scope(in_one_transaction, flow_class, process_pk):
        yield True
