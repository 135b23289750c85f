"""Celery tasks of the workflow: thin wrappers that take IDs and call services."""

from celery import shared_task
from viewflow.workflow.timers import fire_due_conditions, fire_due_start_timers

from . import services
from .timers import fire_due_timers


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=False)
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
