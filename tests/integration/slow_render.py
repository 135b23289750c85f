"""A Celery app for one integration test: the worker's report render takes seconds longer.

``celery -A tests.integration.slow_render worker`` serves the same tasks as
``celery_app``, but in each pool process ``sparring.reports.pdf.render_pdf`` first sleeps
``SLOW_RENDER_SECONDS`` (default 6): long enough to SIGKILL the worker mid-render.
"""

import os
import time

from celery.signals import worker_process_init

from celery_app import app

__all__ = ["app"]


@worker_process_init.connect
def _slow_down_rendering(**kwargs):
    from sparring.reports import pdf

    original = pdf.render_pdf
    delay = float(os.environ.get("SLOW_RENDER_SECONDS", "6"))

    def slow_render_pdf(*args, **kw):
        time.sleep(delay)
        return original(*args, **kw)

    pdf.render_pdf = slow_render_pdf
