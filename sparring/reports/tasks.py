"""Celery tasks of the report: take IDs, call the service."""

from celery import shared_task

from . import rendering


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def render_report_revision(case_id: int, source: str) -> int:
    """Render a corrected report as a new PDF version (idempotent by ``source``)."""
    return rendering.report_render(case_id=case_id, source=source).version
