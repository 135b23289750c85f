"""Celery tasks of the statistics app (beat); idempotent."""

from celery import shared_task

from sparring.background import INFRASTRUCTURE_RETRY


@shared_task(acks_late=True, ignore_result=True, **INFRASTRUCTURE_RETRY)
def fold_in_figures() -> int:
    """Every minute (beat): fold the queued changes into the maintained aggregates, so
    that the queue stays short: no page folds in a long backlog, and the call-off
    under its lock reads few queued cases. First the surveys past their closing time are
    flagged closed (``surveys.services.survey_close_due``), so this fold-in moves them
    into the rollup. Returns how many queued changes were folded in."""
    from sparring.surveys.services import survey_close_due

    from .aggregates import queued, refresh

    survey_close_due()
    return refresh() if queued() else 0
