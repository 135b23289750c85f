"""State changes of flow tasks that the product makes itself (the Celery bridge)."""

import logging
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from sparring.access import is_coordinator
from sparring.audit import audit_record
from sparring.background import dispatch, is_infrastructure_error, is_interruption

from .lock import lock_taken_by_claim, locked_task, locked_tasks
from .nodes import RUN_FLOW_JOB, JobTaskMoved

logger = logging.getLogger(__name__)

RUNNABLE = (STATUS.SCHEDULED, STATUS.STARTED)


class JobOutcome:
    """What one delivery of a job message did (returned by the Celery task)."""

    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"  # not runnable any more: done, cancelled, revived or gone


def _is_celery_job(node: Any) -> bool:
    # Asked of the node rather than imported: workflow.nodes dispatches to the task
    # that calls this module, so importing the node class here would be a cycle.
    return getattr(node, "runs_in_celery", False)


@contextmanager
def locked_activation(task: Task):
    """As viewflow's ``task.activation()``: the task's activation under its flow lock, the
    task read again under the lock, here with its process in the same query (viewflow
    reads the task, then its process: one query fewer per use; issue 17); on PostgreSQL
    the read takes the lock, one query fewer again.

    Raises:
        Task.DoesNotExist: no such task.
    """
    tasks = Task._default_manager.select_related("process").filter(pk=task.pk)
    with locked_tasks(task.flow_task.flow_class, task.process_id, tasks) as read:
        # on PostgreSQL the read takes the lock (workflow.lock.locked_tasks)
        current = read.rows[0] if read.rows else tasks.get()
        yield current.flow_task.activation_class(current)


def _runnable_job(task: Task | None) -> bool:
    """Whether ``task`` is a ``CeleryJob``'s task waiting for its job (scheduled or started)."""
    if task is None or task.status not in RUNNABLE:
        return False
    if not _is_celery_job(task.flow_task):
        logger.error("Task %s is not a CeleryJob task (%s)", task.pk, task.flow_task)
        return False
    return True


def job_run(*, task_pk: int) -> str:
    """Run the job of one ``CeleryJob`` task and move the flow on.

    Safe under redelivery and concurrent delivery: a task that is no longer
    scheduled or started is skipped, and completion re-checks the status
    under the flow lock, so the flow task completes exactly once.

    Raises the infrastructure errors of ``sparring.background`` (database,
    lock, Redis) instead of marking the task failed: they are retried; so are the
    interruptions (``KeyboardInterrupt``, ``SystemExit``: the worker stops, the task
    stays started and is delivered again). Any other error of the job, also a
    ``BaseException`` such as WeasyPrint's ``FatalURLFetchingError``, marks the flow
    task failed (ERROR) for a coordinator.
    """
    with locked_task(Task, task_pk, only_if=lambda read: read.status in RUNNABLE) as task:
        # On PostgreSQL one statement reads the task and takes the lock (issue 17): the
        # task is current. Elsewhere it was read before the lock and is claimed by a
        # compare-and-set on it as read; only when another delivery started it since is
        # it read again under the lock, as before.
        if not _runnable_job(task):
            return JobOutcome.SKIPPED
        node = task.flow_task
        activation = node.activation_class(task)
        if not activation.start_as_read():
            current = Task._default_manager.select_related("process").get(pk=task.pk)
            activation = current.flow_task.activation_class(current)
            if activation.status not in RUNNABLE:
                return JobOutcome.SKIPPED
            current.data["_attempts"] = current.data.get("_attempts", 0) + 1
            activation.start()
        task = activation.task

    try:
        node.run_job(node.activation_class(task))
    except BaseException as exc:  # every failure of the job is recorded
        if is_interruption(exc):
            logger.warning("Job task %s interrupted (%r); it will run again", task_pk, exc)
            raise
        if is_infrastructure_error(exc):
            # Not the job's fault: the task stays STARTED and the Celery task
            # retries it with backoff (or the sweep queues it again later).
            logger.warning("Job task %s met an infrastructure error: %s", task_pk, exc)
            raise
        logger.warning("Job task %s failed: %s", task_pk, exc, exc_info=True)
        with locked_activation(task) as activation:
            if activation.status != STATUS.STARTED:
                return JobOutcome.SKIPPED
            task = activation.task
            activation.error(exc)
            audit_record(
                actor=None,
                action="job_failed",
                subject=task,
                comment=str(exc) or type(exc).__name__,
                data={"flow_task": str(task.flow_task)},
            )
        return JobOutcome.FAILED

    # The task this worker started, completed under the lock by a compare-and-set on its
    # status (CeleryJobActivation.complete), not read again first (issue 17): a task done
    # by another delivery meanwhile, or cancelled with its process, is skipped. On
    # PostgreSQL that UPDATE takes the lock itself (workflow.lock.lock_taken_by_claim).
    try:
        with lock_taken_by_claim(node.flow_class, task.process_id) as lock_with_claim:
            activation = node.activation_class(task)
            activation.lock_with_claim = lock_with_claim  # on PostgreSQL: its UPDATE locks
            activation.execute()
            audit_record(
                actor=None,
                action="job_completed",
                subject=task,
                data={"flow_task": str(task.flow_task), "attempts": task.data.get("_attempts")},
            )
    except JobTaskMoved:
        return JobOutcome.SKIPPED
    return JobOutcome.COMPLETED


def job_retry(*, task_pk: int, actor: Any, comment: str = "") -> Task:
    """Queue a failed job again, as a new flow task; only coordinators may.

    The failed task keeps its error (status REVIVED) for the record.
    """
    if not is_coordinator(actor):
        raise PermissionDenied
    task = Task.objects.get(pk=task_pk)
    with task.activation() as activation, transaction.atomic():
        if activation.status != STATUS.ERROR or not _is_celery_job(task.flow_task):
            raise JobNotRetryable(task)
        new_task = activation.revive()
        audit_record(
            actor=actor,
            action="job_retried",
            subject=task,
            comment=comment,
            data={"new_task": new_task.pk},
        )
    return new_task


def job_requeue(*, task_pk: int, actor: Any = None) -> bool:
    """Queue the message of a pending (SCHEDULED or STARTED) job task again.

    Safe to call any number of times: a task that is no longer runnable when
    the message arrives is skipped, and completion happens once under the flow
    lock. ``actor`` None is the reconciliation sweep (not audited per task;
    the sweep's own summary is logged); a coordinator's requeue is audited as
    ``job_requeued``. Returns False if the broker could not be reached.

    Raises PermissionDenied for a person who is not a coordinator and
    JobNotPending if the task is not SCHEDULED or STARTED.
    """
    if actor is not None and not is_coordinator(actor):
        raise PermissionDenied
    task = Task.objects.get(pk=task_pk)
    if task.status not in RUNNABLE or task.flow_task_type != "JOB":
        raise JobNotPending(task)
    if actor is not None:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="job_requeued",
                subject=task,
                data={"flow_task": str(task.flow_task), "status": task.status},
            )
    return dispatch(RUN_FLOW_JOB, args=[task.pk], task_id=task.external_task_id or None)


class JobNotPending(Exception):
    """Only a scheduled or started background job can be queued again."""

    def __init__(self, task: Task) -> None:
        super().__init__(f"Task {task.pk} is {task.status}, not pending")
        self.task = task


class JobNotRetryable(Exception):
    """Only a failed background job can be retried."""

    def __init__(self, task: Task) -> None:
        super().__init__(f"Task {task.pk} is {task.status}, not failed")
        self.task = task
