"""Celery tasks of the outcomes app (beat); they call the services and are idempotent."""

from celery import shared_task

from sparring.background import INFRASTRUCTURE_RETRY


@shared_task(acks_late=True, ignore_result=True, **INFRASTRUCTURE_RETRY)
def follow_up_sweep() -> int:
    """Hourly (beat): send due follow-up surveys, remind once, close (idempotent).

    Returns how many follow-ups moved. See ``sparring.outcomes.followup``.
    """
    from .followup import follow_up_sweep as sweep

    return sweep().total()
