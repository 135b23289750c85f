"""Celery tasks of the report: take IDs, call the service (retried on infrastructure
errors, see ``sparring.background``; no result stored)."""

from celery import shared_task

from sparring.background import INFRASTRUCTURE_RETRY, is_infrastructure_error, is_interruption

from . import rendering


@shared_task(
    acks_late=True, ignore_result=True, soft_time_limit=60, time_limit=75, **INFRASTRUCTURE_RETRY
)
def render_report_revision(case_id: int, source: str) -> int:
    """Render a corrected report as a new PDF version (idempotent by ``source``).

    Any failure of the rendering, also a ``BaseException`` such as WeasyPrint's
    ``FatalURLFetchingError``, is recorded for the coordinators (``job_failed`` on the
    case's timeline, once per revision) and returns 0; infrastructure errors and
    interruptions are raised (retried, or queued again by the sweep).
    """
    try:
        return rendering.report_render(case_id=case_id, source=source).version
    except BaseException as exc:  # every failure of the job is recorded
        if is_interruption(exc) or is_infrastructure_error(exc):
            raise
        rendering.report_render_failed(case_id=case_id, source=source, error=exc)
        return 0
