"""Celery beat's scheduler with a heartbeat (``CELERY_BEAT_SCHEDULER`` points here).

Beat itself writes ``beat`` in ``workflow.models.Heartbeat`` every
``INTERVAL`` seconds, so the health check can tell "beat is down" from
"the worker is down". A database that is down does not stop beat: the
heartbeat is skipped and logged.
"""

import logging
import time

from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)

INTERVAL = 30  # seconds between two heartbeats of beat


class HeartbeatScheduler(PersistentScheduler):
    """The default file-backed scheduler, plus a heartbeat row in the database."""

    _last_heartbeat = 0.0

    def tick(self, *args, **kwargs):
        now = time.monotonic()
        if now - self._last_heartbeat >= INTERVAL:
            self._last_heartbeat = now
            try:
                from django.db import close_old_connections

                from . import heartbeat

                close_old_connections()  # drop a connection a database restart broke
                heartbeat.beat_record(heartbeat.BEAT)
            except Exception:  # beat keeps scheduling while the database is away
                logger.warning("Could not record beat's heartbeat", exc_info=True)
        return min(super().tick(*args, **kwargs), INTERVAL)
