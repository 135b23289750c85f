"""Celery tasks of the workflow: thin wrappers that take IDs and call services.

Infrastructure errors (database, lock, Redis) are retried with backoff
(``sparring.background.INFRASTRUCTURE_RETRY``); only a job's own error makes a
failed job. No result is stored: nobody reads them.
"""

from celery import shared_task
from viewflow.workflow.timers import fire_due_conditions, fire_due_start_timers

from sparring.background import INFRASTRUCTURE_RETRY

from . import heartbeat, reconcile, services
from .timers import fire_due_timers


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # A report PDF takes about a second; the limits stay below the broker's
    # visibility timeout so a healthy job is never delivered twice.
    soft_time_limit=60,
    time_limit=75,
    **INFRASTRUCTURE_RETRY,
)
def run_flow_job(task_pk: int) -> str:
    """Run one CeleryJob flow task (idempotent; see ``services.job_run``)."""
    return services.job_run(task_pk=task_pk)


@shared_task(ignore_result=True)
def fire_workflow_timers() -> dict:
    """Fire due viewflow timers; scheduled every minute by Celery beat."""
    return {
        "timers": fire_due_timers(),
        "start_timers": fire_due_start_timers(),
        "conditions": fire_due_conditions(),
    }


@shared_task(ignore_result=True)
def requeue_pending() -> dict:
    """Queue again the background work the database says is pending; every minute by beat."""
    result = reconcile.requeue_pending()
    heartbeat.beat_record(heartbeat.SWEEP)
    return result.as_dict()


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    """Record that a worker takes messages from the queue (the health check reads it)."""
    heartbeat.beat_record(heartbeat.WORKER)
