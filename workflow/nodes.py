"""Flow nodes the open-source viewflow does not have.

``CeleryJob`` is the bridge between a flow and Celery: when the flow reaches
the node, a Celery task is queued once the transaction commits; the worker
runs the node's job and completes the flow task, or marks it failed with the
reason, which a coordinator can see and retry (``workflow.services.job_retry``).

Delivery is at least once (late acks; a message held by a worker that dies is
given to another), so the job itself must be idempotent; completing the flow
task is guarded by its status under the flow lock and happens exactly once.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone
from viewflow import this
from viewflow.workflow.activation import Activation
from viewflow.workflow.flow.nodes import Handle, Switch, TimerBoundary
from viewflow.workflow.lock import after_lock_released
from viewflow.workflow.nodes import AbstractJob, AbstractJobActivation
from viewflow.workflow.signals import task_finished
from viewflow.workflow.status import STATUS

from sparring.background import dispatch

JobFunction = Callable[[Activation], Any]

RUN_FLOW_JOB = "workflow.tasks.run_flow_job"


class CeleryJobActivation(AbstractJobActivation):
    """Queues the job after commit; the worker drives start/complete/error."""

    @Activation.status.transition(source=STATUS.NEW, target=STATUS.SCHEDULED)
    def activate(self) -> None:
        self.task.save()
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
        task = self.flow_class.task_class(
            process=host_activation.process,
            flow_task=self,
            flow_task_type=self.task_type,
            token=host_activation.task.token,
            status=STATUS.SCHEDULED,
        )
        task.data = {}
        task._host_task = host_activation.task
        try:
            due = self._delay(self.activation_class(task)) if callable(self._delay) else self._delay
            if isinstance(due, timedelta):
                due = timezone.now() + due
            if not isinstance(due, datetime):
                raise ValueError(f"Timer delay must be a timedelta or datetime, got {due!r}")
        except DatabaseError:
            raise
        except Exception:  # viewflow's own path records it on the task (or raises it)
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
        if host_task.flow_task != self._attached_to:
            return
        timers = [b for b in self._attached_to._boundary_events if isinstance(b, TimerBoundary)]
        if timers[0] is not self:
            return  # the step's first timer cancels them all
        self.flow_class.task_class._default_manager.filter(
            process_id=host_task.process_id,
            previous=host_task,
            flow_task__in=timers,
            status__in=[STATUS.NEW, STATUS.SCHEDULED],
        ).update(status=STATUS.CANCELED, finished=timezone.now())


class CaseStep(Handle):
    """A waiting step of the case flow: viewflow's Handle whose ``OnTimeout`` timers are
    :class:`DeadlineTimer` (same behaviour, fewer queries).

    When the step's task is made, its timers' tasks are inserted in one statement
    and the links (the step's task to the task before it, each timer to the step's
    task) in another: three statements for a step with three timers instead of
    viewflow's two per task plus a savepoint and an update per timer.
    """

    def OnTimeout(
        self, delay: Any, then: Any, interrupting: bool = True, title: Any = None
    ) -> "CaseStep":
        boundary = DeadlineTimer(None, delay=delay, interrupting=interrupting).Next(then)
        if title is not None:
            boundary.Annotation(title=title)
        self._boundary_specs.append(("timeout", boundary))
        return self

    def _create(self, prev_activation: Activation, token, data=None, seed=None) -> Activation:
        task_class = self.flow_class.task_class
        task = task_class(process=prev_activation.process, flow_task=self, token=token)
        task.data = data if data is not None else {}
        task.seed = seed
        task.save()
        activation = self.activation_class(task)
        link = task_class.previous.through
        links = [link(from_task_id=task.pk, to_task_id=prev_activation.task.pk)]
        timers, others = [], []
        for boundary in self._boundary_events:
            built = boundary._build(activation) if isinstance(boundary, DeadlineTimer) else None
            (timers if built is not None else others).append(built or boundary)
        if timers:
            task_class._default_manager.bulk_create(timers)
            links += [link(from_task_id=timer.pk, to_task_id=task.pk) for timer in timers]
        link._default_manager.bulk_create(links)
        for boundary in others:
            boundary._arm(activation)
        return activation


class CaseSwitch(Switch):
    """viewflow's Switch whose task is written once, already done.

    viewflow inserts the gateway's task, links it, picks the branch in a savepoint
    and saves the task again as done: five statements. The case flow's conditions
    only read the case's status (already in memory), so the branch is picked first
    and the task inserted as done and linked: two statements. A condition that
    raises falls back to viewflow's path (which records the failure on the task).
    """

    def _create(self, prev_activation: Activation, token, data=None, seed=None) -> Activation:
        task = self.flow_class.task_class(
            process=prev_activation.process, flow_task=self, token=token, status=STATUS.NEW
        )
        task.data = data if data is not None else {}
        task.seed = seed
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
            return super()._create(prev_activation, token, data=data, seed=seed)
        task.status = STATUS.DONE
        task.finished = timezone.now()
        task.save()
        task.previous.add(prev_activation.task)
        task_finished.send(sender=self.flow_class, process=activation.process, task=task)
        return activation
