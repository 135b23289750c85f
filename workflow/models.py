"""The process proxy of the case flow: the flow's own state, linked to the case record."""

from django.db import models
from viewflow.workflow.models import Process

from sparring.validators import DateTimeField as RangedDateTimeField


class CaseProcess(Process):
    """A SparringFlow process; ``process.case`` is the business record it drives."""

    class Meta:
        proxy = True
        verbose_name = "case process"
        verbose_name_plural = "case processes"


class Heartbeat(models.Model):
    """When a background process last showed it is alive (read by the health check).

    One row per name: ``beat`` (Celery beat's scheduler), ``worker`` (a worker
    took the heartbeat message beat sends), ``sweep`` (the reconciliation sweep
    finished).
    """

    name = models.CharField(max_length=40, primary_key=True)
    at = RangedDateTimeField()

    class Meta:
        verbose_name = "heartbeat"
        verbose_name_plural = "heartbeats"

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"
