"""Celery tasks of the statistics app (beat); idempotent."""

from celery import shared_task

from sparring.background import INFRASTRUCTURE_RETRY


@shared_task(acks_late=True, ignore_result=True, **INFRASTRUCTURE_RETRY)
def fold_in_figures() -> int:
    """Every minute (beat): fold the queued changes into the maintained aggregates, so
    that the queue stays short: no page folds in a long backlog, and the call-off
    under its lock reads few queued cases. Returns how many queued changes were folded in."""
    from .aggregates import queued, refresh

    return refresh() if queued() else 0
