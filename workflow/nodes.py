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
from typing import Any

from django.db import transaction
from django.utils import timezone
from viewflow import this
from viewflow.workflow.activation import Activation
from viewflow.workflow.lock import after_lock_released
from viewflow.workflow.nodes import AbstractJob, AbstractJobActivation
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
