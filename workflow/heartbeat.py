"""Heartbeats of the background processes, kept in the database (the health check reads them)."""

from datetime import datetime

from django.utils import timezone

from .models import Heartbeat

BEAT = "beat"  # Celery beat's scheduler ticked
WORKER = "worker"  # a worker ran the heartbeat task beat sends
SWEEP = "sweep"  # the reconciliation sweep finished


def beat_record(name: str) -> None:
    """Record that ``name`` is alive now (one row per name, overwritten)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})


def last_beats() -> dict[str, datetime]:
    """When each process was last seen alive: ``{name: time}``."""
    return dict(Heartbeat.objects.values_list("name", "at"))
