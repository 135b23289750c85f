"""Celery tasks of the report: take IDs, call the service (retried on infrastructure
errors, see ``sparring.background``; no result stored)."""

from celery import shared_task

from sparring.background import INFRASTRUCTURE_RETRY

from . import rendering


@shared_task(
    acks_late=True, ignore_result=True, soft_time_limit=60, time_limit=75, **INFRASTRUCTURE_RETRY
)
def render_report_revision(case_id: int, source: str) -> int:
    """Render a corrected report as a new PDF version (idempotent by ``source``)."""
    return rendering.report_render(case_id=case_id, source=source).version
