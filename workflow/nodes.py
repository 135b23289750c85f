"""Flow nodes the open-source viewflow does not have.

``CeleryJob`` is the bridge between a flow and Celery: when the flow reaches
the node, a Celery task is queued once the transaction commits; the worker
runs the node's job and completes the flow task, or marks it failed with the
reason, which a coordinator can see and retry (``workflow.services.job_retry``).

Delivery is at least once (late acks; a message held by a worker that dies is
given to another), so the job itself must be idempotent; completing the flow
task is guarded by its status under the flow lock and happens exactly once.
"""

import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from viewflow import this
from viewflow.workflow.activation import Activation
from viewflow.workflow.context import context
from viewflow.workflow.flow.nodes import (
    End,
    Function,
    Handle,
    StartHandle,
    Switch,
    Timer,
    TimerBoundary,
)
from viewflow.workflow.lock import after_lock_released, lock_scope
from viewflow.workflow.nodes import AbstractJob, AbstractJobActivation
from viewflow.workflow.nodes.end import EndActivation
from viewflow.workflow.nodes.func import FunctionActivation
from viewflow.workflow.nodes.handle import HandleActivation
from viewflow.workflow.nodes.start import StartHandleActivation
from viewflow.workflow.nodes.switch import SwitchActivation
from viewflow.workflow.nodes.timer import TimerActivation
from viewflow.workflow.signals import flow_finished, flow_started, task_finished, task_started
from viewflow.workflow.status import STATUS

from sparring.background import dispatch

from . import step_write
from .step_write import complete_with_timers, process_finish_if_last, step_rows_insert

JobFunction = Callable[[Activation], Any]

RUN_FLOW_JOB = "workflow.tasks.run_flow_job"


def unsaved_task(node, process, token, *, data=None, seed=None, **fields):
    """The task of ``node`` in ``process``, not saved: the row viewflow's ``_create`` builds
    before its INSERT (``fields``: other columns, e.g. ``status``)."""
    task = node.flow_class.task_class(
        process=process, flow_task=node, flow_task_type=node.task_type, token=token, **fields
    )
    task.data = data if data is not None else {}
    task.seed = seed
    return task


def due_moment(node, activation) -> datetime | None:
    """When the timer ``node`` of ``activation``'s task is due, as viewflow computes it
    (its delay: a timedelta from now, a datetime, or a function of the activation giving
    either); ``None`` when the flow's function fails or gives anything else, so that the
    caller arms the timer viewflow's way, which records the failure on the task.

    Raises:
        DatabaseError: the function's query failed (the transaction is unusable).
    """
    try:
        due = node._delay(activation) if callable(node._delay) else node._delay
        if isinstance(due, timedelta):
            due = timezone.now() + due
        if not isinstance(due, datetime):
            raise ValueError(f"Timer delay must be a timedelta or datetime, got {due!r}")
    except DatabaseError:
        raise
    except Exception:  # viewflow's own path records it on the task (or raises it)
        return None
    return due


def claimed_rows(activation: Activation, status: str):
    """The row of ``activation``'s task if it is still ``status``, to be written by one
    ``UPDATE`` (the compare-and-set of a job's completion or a timer's firing).

    When the caller holds the flow lock by this write (``activation.lock_with_claim``,
    ``workflow.lock.lock_taken_by_claim``: PostgreSQL), the same statement locks the
    process row (``process_id IN (SELECT … FOR UPDATE)``): one statement instead of the
    lock's ``SELECT 1 … FOR UPDATE`` and the UPDATE (issue 17).
    """
    task = activation.task
    rows = activation.flow_class.task_class._default_manager.filter(pk=task.pk, status=status)
    if getattr(activation, "lock_with_claim", False):
        process = activation.flow_class.process_class._default_manager.filter(pk=task.process_id)
        rows = rows.filter(process_id__in=process.order_by().select_for_update().values("pk"))
    return rows


class JobTaskMoved(Exception):
    """A job's task was no longer STARTED when its completion was written: another
    delivery completed it, or the process was cancelled (nothing was written)."""


class CeleryJobActivation(AbstractJobActivation):
    """Queues the job after commit; the worker drives start/complete/error."""

    @Activation.status.transition(source=STATUS.NEW, target=STATUS.SCHEDULED)
    def activate(self) -> None:
        self.task.save()
        self.queue_after_commit()

    def start_as_read(self) -> bool:
        """``start`` written as one compare-and-set on the task as it was read before the
        flow lock: its status (SCHEDULED or STARTED) and ``started`` unchanged, so that no
        delivery started it since (``workflow.services.job_run``: no second read under the
        lock). Counts the attempt in ``data["_attempts"]``, as ``job_run`` does.

        Returns:
            True when written (the task is STARTED now, here and in its row); False, with
            nothing written, when the row has moved on (the caller reads it again).
        """
        task = self.task
        if task.status not in (STATUS.SCHEDULED, STATUS.STARTED):
            return False
        data = dict(task.data or {})
        data["_attempts"] = data.get("_attempts", 0) + 1
        started = timezone.now()
        as_read = self.flow_class.task_class._default_manager.filter(pk=task.pk, status=task.status)
        if task.started is None:
            as_read = as_read.filter(started__isnull=True)
        else:
            as_read = as_read.filter(started=task.started)
        if as_read.update(status=STATUS.STARTED, started=started, data=data) != 1:
            return False
        task.status, task.started, task.data = STATUS.STARTED, started, data
        return True

    @Activation.status.transition(source=[STATUS.SCHEDULED, STATUS.STARTED], target=STATUS.STARTED)
    def start(self) -> None:
        """viewflow's: the task started; only what starting changes is written (its
        status, ``started`` and ``data``, where ``workflow.services.job_run`` counts the
        attempts), not the whole row."""
        self.task.started = timezone.now()
        self.task.save(update_fields=["status", "started", "data"])

    @Activation.status.transition(source=STATUS.STARTED, target=STATUS.DONE)
    def complete(self) -> None:
        """The task done, written as a compare-and-set on its status: one
        ``UPDATE … WHERE status = STARTED`` instead of reading the task again under the
        lock and saving the whole row (``workflow.services.job_run``: the worker holds
        the task it started).

        Raises:
            JobTaskMoved: the task is no longer STARTED (completed by another delivery,
                or cancelled); nothing is written.
        """
        assert connection.in_atomic_block
        task = self.task
        task.finished = timezone.now()
        claimed = claimed_rows(self, STATUS.STARTED).update(
            status=STATUS.DONE, finished=task.finished
        )
        if claimed != 1:
            raise JobTaskMoved(task.pk)
        task_finished.send(sender=self.flow_class, process=self.process, task=task)

    def queue_after_commit(self) -> None:
        """Queue the job's message once the transaction commits (see ``activate``)."""
        task_pk = self.task.pk
        message_id = self.task.external_task_id

        def queue() -> None:
            # By name: workflow.tasks imports the services, which import this module.
            dispatch(RUN_FLOW_JOB, args=[task_pk], task_id=message_id)

        # After commit, so the worker finds the row; after the flow lock is
        # released, so an in-process (eager) run can take the lock itself. If
        # the broker is down the task stays SCHEDULED and the reconciliation
        # sweep (workflow.reconcile) queues it again.
        transaction.on_commit(lambda: after_lock_released(queue))

    @Activation.status.transition(
        source=[STATUS.NEW, STATUS.SCHEDULED, STATUS.STARTED, STATUS.ERROR],
        target=STATUS.CANCELED,
    )
    def cancel(self) -> None:
        # A message still in the broker finds the task cancelled and does nothing.
        self.task.finished = timezone.now()
        self.task.save()


class CeleryJob(AbstractJob):
    """Run ``job(activation)`` in a Celery worker, then continue the flow.

    ``job`` is a callable or ``this.method_name`` of the flow. It runs outside
    the flow lock and outside any transaction of the flow, may be called more
    than once for the same task (redelivery, retry) and must be idempotent.
    """

    activation_class = CeleryJobActivation
    runs_in_celery = True  # what workflow.services asks of a node before running its job

    def __init__(self, job: JobFunction, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._job = job

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._job = this.resolve(instance, self._job)

    def run_job(self, activation: Activation) -> Any:
        return self._job(activation)

    def _create(self, prev_activation: Activation, token, data=None, seed=None) -> Activation:
        """The job's task inserted already ``SCHEDULED`` and its message queued after
        commit: what viewflow's create (insert ``NEW``, link) and ``activate`` (save again
        as ``SCHEDULED``) do, one UPDATE fewer. A revived task still goes through
        ``activate``. On PostgreSQL the task, its link and the UPDATE of a step done just
        before (held back by :class:`CaseStepActivation`) are one statement
        (``workflow.step_write.step_rows_insert``)."""
        task = unsaved_task(
            self,
            prev_activation.process,
            token,
            data=data,
            seed=seed,
            external_task_id=str(uuid.uuid4()),
            status=STATUS.SCHEDULED,
        )
        previous = prev_activation.task
        if step_write.one_statement() and previous.pk is not None:
            # with the UPDATE of a step done before it, held back for this statement
            done = completion_take_held(previous)
            step_rows_insert(self.flow_class.task_class, [task], [(task, previous)], done=done)
        else:
            task.save()
            task.previous.add(previous)
        activation = self.activation_class(task)
        activation.queue_after_commit()
        return activation


@contextmanager
def _inserted_in_this_transaction(flow_class, process_pk):
    """The "lock" of a process inserted by this transaction: no one else sees its row
    before the commit, so there is nothing to wait for (see ``CaseStartActivation``)."""
    yield


class CaseStartActivation(StartHandleActivation):
    """The start of a case's flow, without viewflow's extra statements for a new process."""

    @Activation.status.transition(source=STATUS.NEW)
    def execute(self) -> None:
        """viewflow's ``execute``, but the process is saved once (the flow's start
        function saved it already: no second UPDATE of the row), there is no savepoint
        of its own (whatever fails undoes the caller's transaction) and the row this
        transaction has just inserted is not locked (no one else sees it before the
        commit): three to six statements fewer per submitted case."""
        task_started.send(sender=self.flow_class, process=self.process, task=self.task)
        with transaction.atomic(savepoint=False):
            if self.process.pk is None:
                self.process.save()
            with lock_scope(_inserted_in_this_transaction, self.flow_class, self.process.pk):
                self.complete()
                flow_started.send(sender=self.flow_class, process=self.process, task=self.task)
                self.activate_next()

    @Activation.status.transition(source=STATUS.NEW, target=STATUS.DONE)
    def complete(self) -> None:
        """The start task done; a :class:`CaseStep` after it writes it with its own tasks."""
        self.task.finished = timezone.now()
        if isinstance(self.flow_task._next, CaseStep):
            self.task._written_after = None  # CaseStep._create inserts it (no task before it)
        else:
            self.task.save()
        task_finished.send(sender=self.flow_class, process=self.process, task=self.task)


class CaseStart(StartHandle):
    """viewflow's ``StartHandle`` with :class:`CaseStartActivation`."""

    activation_class = CaseStartActivation


class TimerFiredAlready(Exception):
    """A timer's task was no longer SCHEDULED when its firing was written: another sweep
    fired it, or it was cancelled (nothing was written)."""


class CaseTimerActivation(TimerActivation):
    """A :class:`CaseTimer`'s activation: firing it writes its task once, as a
    compare-and-set on its status, so the sweep fires it without reading it again."""

    #: ``workflow.timers`` fires it from the sweep's read, under the flow lock
    fired_by_compare_and_set = True

    @Activation.status.transition(source=STATUS.SCHEDULED, target=STATUS.STARTED)
    def start(self) -> None:
        """Claim the due timer. Not saved here: the sweep (``workflow.timers``) completes
        it at once under the same flow lock and transaction, which writes the task
        (viewflow saves it twice)."""
        self.task.started = timezone.now()

    @Activation.status.transition(source=STATUS.STARTED, target=STATUS.DONE)
    def complete(self) -> None:
        """The timer done: its status, ``started`` and ``finished`` written in one
        ``UPDATE … WHERE status = SCHEDULED`` (its row is SCHEDULED until then: ``start``
        writes nothing), not the whole row.

        Raises:
            TimerFiredAlready: the task is no longer SCHEDULED; nothing is written.
        """
        assert connection.in_atomic_block
        task = self.task
        task.finished = timezone.now()
        claimed = claimed_rows(self, STATUS.SCHEDULED).update(
            status=STATUS.DONE, started=task.started, finished=task.finished
        )
        if claimed != 1:
            raise TimerFiredAlready(task.pk)
        task_finished.send(sender=self.flow_class, process=self.process, task=task)


class CaseTimer(Timer):
    """viewflow's database ``Timer`` whose due moment is computed before its task is
    written: one INSERT (already ``SCHEDULED``) and one link (on PostgreSQL one statement,
    ``workflow.step_write.step_rows_insert``), instead of an insert, a link and, in a
    savepoint, the due moment saved again. A due-moment function that
    raises falls back to viewflow's path (which records the failure on the task)."""

    activation_class = CaseTimerActivation

    def _create(self, prev_activation: Activation, token, data=None, seed=None) -> Activation:
        task = unsaved_task(
            self, prev_activation.process, token, data=data, seed=seed, status=STATUS.SCHEDULED
        )
        activation = self.activation_class(task)
        due = due_moment(self, activation)
        if due is None:
            return super()._create(prev_activation, token, data=data, seed=seed)
        task.scheduled = due
        previous = prev_activation.task
        if step_write.one_statement() and previous.pk is not None:  # the task and its link
            step_rows_insert(self.flow_class.task_class, [task], [(task, previous)])
        else:
            task.save()
            task.previous.add(previous)
        return activation


class DeadlineTimer(TimerBoundary):
    """A timer attached to a waiting step, armed and cancelled in fewer queries.

    viewflow's ``TimerBoundary`` inserts the timer's task, links it, then in a
    savepoint asks the flow for the due moment and saves the task again; when
    the step is done each of the step's timers loads its tasks and cancels them
    one by one. Here the due moment is computed first (the flow's function sees
    the step's task as ``activation.task._host_task``), so arming is one insert
    and one link; and when the step's task finishes, the first timer of the
    step cancels all of the step's open timers in one UPDATE. A due-moment
    function that raises falls back to viewflow's own path (which records the
    failure on the task as viewflow does).
    """

    def _build(self, host_activation: Activation):
        """The timer's task, not saved, with its due moment; ``None`` when the flow's
        due-moment function fails (the caller then arms it viewflow's way)."""
        task = unsaved_task(
            self, host_activation.process, host_activation.task.token, status=STATUS.SCHEDULED
        )
        task._host_task = host_activation.task
        due = due_moment(self, self.activation_class(task))
        if due is None:
            return None
        task.scheduled = due
        return task

    def _arm(self, host_activation: Activation) -> None:
        task = self._build(host_activation)
        if task is None:
            super()._arm(host_activation)
            return
        task.save()
        task.previous.add(host_activation.task)

    def _on_host_finished(self, **signal_kwargs: Any) -> None:
        host_task = signal_kwargs["task"]
        if host_task.flow_task != self._attached_to or getattr(
            host_task, "_timers_cancelled", False
        ):
            return  # another step's task, or cancelled with it (CaseStepActivation.complete)
        timers = [b for b in self._attached_to._boundary_events if isinstance(b, TimerBoundary)]
        if timers[0] is not self:
            return  # the step's first timer cancels them all
        self.flow_class.task_class._default_manager.filter(
            process_id=host_task.process_id,
            previous=host_task,
            flow_task__in=timers,
            status__in=[STATUS.NEW, STATUS.SCHEDULED],
        ).update(status=STATUS.CANCELED, finished=timezone.now())


class CaseStepActivation(HandleActivation):
    """A :class:`CaseStep`'s activation: completing the step's task and cancelling its
    open deadline timers is one UPDATE (viewflow saves the whole task row, then the
    timers are cancelled in a second statement); on PostgreSQL, when the next node is a
    step (or a switch that picks one), that UPDATE is sent in the next step's statement
    (``execute``)."""

    _hold_completion = False

    @Activation.status.transition(source=STATUS.STARTED)
    def execute(self) -> None:
        """viewflow's: the task done, then the next node.

        When the next node is a :class:`CaseStep`, a :class:`CaseEnd`, a
        :class:`CeleryJob`, or a :class:`CaseSwitch` (which writes the UPDATE itself
        first unless it picks a step), the done task's UPDATE is held back on PostgreSQL
        and sent with the next node's rows in one statement (``workflow.step_write``):
        between the two nothing reads the flow's tasks (the ``task_finished`` receivers,
        the switch's conditions on the case's status, the next step's due moments; the
        end's "is any task open" is asked in that statement). Whatever is still held
        after the next node is written here."""
        self._hold_completion = step_write.one_statement() and isinstance(
            self.flow_task._next, CaseStep | CaseSwitch | CaseEnd | CeleryJob
        )
        try:
            self.complete()
        finally:
            self._hold_completion = False
        self.activate_next()
        completion_write_held(self.task)

    @Activation.status.transition(source=STATUS.STARTED, target=STATUS.DONE)
    def complete(self) -> None:
        assert connection.in_atomic_block
        task = self.task
        task.finished = timezone.now()
        timers = self.flow_task._deadline_timers()
        if task.pk is None or not timers:
            task.save()
        elif self._hold_completion:
            task._completion_held = (self.flow_class.task_class, timers)  # see execute
            task._timers_cancelled = True
        else:
            complete_with_timers(self.flow_class.task_class, task, timers)
            task._timers_cancelled = True  # DeadlineTimer._on_host_finished: nothing left to do
        task_finished.send(sender=self.flow_class, process=self.process, task=task)


def completion_take_held(task) -> tuple | None:
    """A done step's held-back UPDATE (``CaseStepActivation.execute``), taken to be
    written by the caller: ``(task, timers)``, or None when ``task`` (or None) has none."""
    held = getattr(task, "_completion_held", None)
    if held is None:
        return None
    task._completion_held = None
    return task, held[1]


def completion_write_held(task) -> None:
    """Write a done step's held-back UPDATE now, if ``task``'s is still held."""
    held = getattr(task, "_completion_held", None)
    if held is not None:
        task._completion_held = None
        complete_with_timers(held[0], task, held[1])


class CaseStep(Handle):
    """A waiting step of the case flow: viewflow's Handle whose ``OnTimeout`` timers are
    :class:`DeadlineTimer` (same behaviour, fewer queries).

    When the step's task is made, it, its timers' tasks and a :class:`CaseSwitch`'s
    (``CaseFunction``'s, ``CaseStart``'s) task waiting to be written before it, the
    step's ``StepDeadline`` row and all their links (each task to the one before it)
    are written by ``workflow.step_write.step_rows_insert``: one statement on
    PostgreSQL, with the UPDATE of the step done before it when that was held back
    (:class:`CaseStepActivation`), three on SQLite; viewflow sends two per task plus a
    savepoint and an update per timer. When the step is done, its task and its open
    timers are written in one UPDATE (:class:`CaseStepActivation`).
    """

    activation_class = CaseStepActivation

    def OnTimeout(
        self, delay: Any, then: Any, interrupting: bool = True, title: Any = None
    ) -> "CaseStep":
        boundary = DeadlineTimer(None, delay=delay, interrupting=interrupting).Next(then)
        if title is not None:
            boundary.Annotation(title=title)
        self._boundary_specs.append(("timeout", boundary))
        return self

    def _deadline_timers(self) -> list["DeadlineTimer"]:
        """The step's deadline timers (cancelled when its task is done)."""
        return [b for b in self._boundary_events if isinstance(b, DeadlineTimer)]

    def _create(self, prev_activation: Activation, token, data=None, seed=None) -> Activation:
        task_class = self.flow_class.task_class
        task = unsaved_task(self, prev_activation.process, token, data=data, seed=seed)
        activation = self.activation_class(task)
        previous = prev_activation.task
        # the step before, done: its UPDATE held back for this statement (on PostgreSQL)
        done = completion_take_held(previous) or completion_take_held(
            getattr(previous, "_written_after", None)
        )
        new_tasks, links = [task], [(task, previous)]
        if previous.pk is None:  # the task of a CaseSwitch or CaseStart, written here
            new_tasks.insert(0, previous)
            if previous._written_after is not None:
                links.append((previous, previous._written_after))
        timers, others = [], []
        for boundary in self._boundary_events:
            built = boundary._build(activation) if isinstance(boundary, DeadlineTimer) else None
            (timers if built is not None else others).append(built or boundary)
        new_tasks += timers
        links += [(timer, task) for timer in timers]
        deadline = getattr(task, "_step_deadline", None)
        if deadline is not None and deadline.pk is None:  # made unsaved by the first timer
            deadline.task = task
        else:
            deadline = None
        step_rows_insert(task_class, new_tasks, links, deadline, done)
        for boundary in others:
            boundary._arm(activation)
        return activation


class CaseSwitchActivation(SwitchActivation):
    """A :class:`CaseSwitch`'s activation, hashable while its task is not written yet."""

    def __hash__(self) -> int:
        # viewflow keeps activations in sets; this one's task may get its row only when
        # the next step writes it (Django refuses to hash a model instance without a pk).
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


class CaseSwitch(Switch):
    """viewflow's Switch whose task is written once, already done.

    viewflow inserts the gateway's task, links it, picks the branch in a savepoint
    and saves the task again as done: five statements. The case flow's conditions
    only read the case's status (already in memory), so the branch is picked first
    and the task made as done; when the branch is a :class:`CaseStep` the step
    inserts it with its own task and links (no statement of its own), otherwise it
    is inserted and linked here (two statements). A condition that raises falls back
    to viewflow's path (which records the failure on the task). The UPDATE of a step
    done just before, held back for the next step's statement on PostgreSQL
    (:class:`CaseStepActivation`), is written here first unless the branch is a step.
    """

    activation_class = CaseSwitchActivation

    def _create(self, prev_activation: Activation, token, data=None, seed=None) -> Activation:
        task = unsaved_task(
            self, prev_activation.process, token, data=data, seed=seed, status=STATUS.NEW
        )
        activation = self.activation_class(task)
        try:
            for node, condition in self._branches:
                if condition is None or condition(activation):
                    activation.next_task = node
                    break
        except DatabaseError:
            raise
        except Exception:  # viewflow's own path records it on the task (or raises it)
            activation.next_task = None
        if activation.next_task is None:
            completion_write_held(prev_activation.task)
            return super()._create(prev_activation, token, data=data, seed=seed)
        task.status = STATUS.DONE
        task.finished = timezone.now()
        if isinstance(activation.next_task, CaseStep) and prev_activation.task.pk is not None:
            task._written_after = prev_activation.task  # CaseStep._create writes and links it
        else:
            completion_write_held(prev_activation.task)  # before what comes next reads it
            task.save()
            task.previous.add(prev_activation.task)
        task_finished.send(sender=self.flow_class, process=activation.process, task=task)
        return activation


class _WrittenWhenDone:
    """For an activation whose task is inserted (with its link to the task before it)
    when it is done or fails, not first as ``NEW`` and then again: one statement fewer."""

    def __hash__(self) -> int:
        # viewflow keeps activations in sets; Django refuses to hash an unsaved instance
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        task = unsaved_task(flow_task, prev_activation.process, token, data=data, seed=seed)
        task.written_after = prev_activation.task  # read by the node's function if it asks
        return cls(task)

    def _write(self) -> None:
        """Save the task; the first time, link it to the task before it."""
        first = self.task.pk is None
        self.task.save()
        if first:
            self.task.previous.add(self.task.written_after)


class CaseFunctionActivation(_WrittenWhenDone, FunctionActivation):
    """viewflow's Function activation, its task written once: done, or failed."""

    @Activation.status.super()
    def activate(self) -> None:
        try:
            with transaction.atomic(savepoint=True):
                self.task.started = timezone.now()
                task_started.send(sender=self.flow_class, process=self.process, task=self.task)
                self.flow_task._func(self)
        except Exception as exc:
            self._write()  # so that viewflow's guard records the failure on a linked task
            with self.exception_guard():
                raise exc

    @Activation.status.transition(source=STATUS.NEW, target=STATUS.DONE)
    def complete(self) -> None:
        """The task done; followed by a :class:`CaseStep`, that step inserts it and its
        link with its own tasks and links (two statements fewer, as for a CaseSwitch)."""
        assert connection.in_atomic_block
        task = self.task
        task.finished = timezone.now()
        if task.pk is None and isinstance(self.flow_task._next, CaseStep):
            task._written_after = task.written_after  # CaseStep._create writes and links it
        else:
            self._write()
        task_finished.send(sender=self.flow_class, process=self.process, task=task)


class CaseFunction(Function):
    """viewflow's ``Function`` whose task is inserted once, when done: the function runs
    first (in a savepoint, as viewflow's); a failure writes the task as viewflow records
    it (``ERROR`` with the exception). The function finds the task before it as
    ``activation.task.written_after`` (the task has no row, so no ``previous``, yet).
    Done and followed by a :class:`CaseStep`, it is inserted by that step."""

    activation_class = CaseFunctionActivation


class CaseEndActivation(_WrittenWhenDone, EndActivation):
    """viewflow's End activation, its task written once, done; no savepoint of its own
    where a failure is not to be recorded on the task but raised (a person's step)."""

    @Activation.status.super()
    def activate(self) -> None:
        recorded = not context.propagate_exception  # a background step records failures
        self._recorded = recorded
        try:
            with transaction.atomic(savepoint=recorded):
                self._finish_process()
        except Exception as exc:
            if not recorded:
                raise
            self._write()  # so that viewflow's guard records the failure on a linked task
            with self.exception_guard():
                raise exc

    def _finish_process(self) -> None:
        """viewflow's: the process is done when no other task of it is open; asked and
        written in one UPDATE (``process_finish_if_last``) instead of a query and a save.

        On PostgreSQL, where a failure is raised (no savepoint: a person's step), the
        end's task (done), its link, that UPDATE and the UPDATE of a step done just
        before (held back by :class:`CaseStepActivation`) are one statement
        (``workflow.step_write.step_rows_insert``); ``complete`` then writes nothing.
        Otherwise a held UPDATE is written before the process's is decided."""
        self.task.started = timezone.now()
        task_started.send(sender=self.flow_class, process=self.process, task=self.task)
        previous = self.task.written_after
        task_class = self.flow_class.task_class
        if (
            step_write.one_statement()
            and not getattr(self, "_recorded", False)
            and self.task.pk is None
            and previous.pk is not None
        ):
            last = self._write_done_with_process(task_class, previous)
        else:
            completion_write_held(previous)  # the step before is done before the question
            last = process_finish_if_last(task_class, self.process, exclude_task=self.task.pk)
        task_finished.send(sender=self.flow_class, process=self.process, task=self.task)
        if last:
            flow_finished.send(sender=self.flow_class, process=self.process, task=self.task)

    def _write_done_with_process(self, task_class, previous) -> bool:
        """The end's task written done (as ``complete`` would) with its link, the held
        UPDATE of the step before and the process's end: whether the process ended."""
        task = self.task
        task.finished = timezone.now()
        status = task.status
        task.status = STATUS.DONE  # the row as complete() writes it; the instance's later
        try:
            last = step_rows_insert(
                task_class,
                [task],
                [(task, previous)],
                done=completion_take_held(previous),
                finish=self.process,
            )
        finally:
            task.status = status
        self._written_done = True
        return last

    @Activation.status.transition(source=STATUS.NEW, target=STATUS.DONE)
    def complete(self) -> None:
        assert connection.in_atomic_block
        if getattr(self, "_written_done", False):
            return  # written by _finish_process
        self.task.finished = timezone.now()
        self._write()


class CaseEnd(End):
    """viewflow's ``End`` whose task is inserted once, done (:class:`CaseEndActivation`)."""

    activation_class = CaseEndActivation
