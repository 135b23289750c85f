"""Reads about flow tasks and the background work waiting behind them."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Coalesce
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from sparring import clock
from sparring.emails import email_unsent


def failed_jobs() -> QuerySet[Task]:
    """Background jobs that ended in an error and wait for a coordinator.

    Each row carries ``failure_reason``: the error message the job ended with, and its
    case (``task.process.case``, read with the row).
    """
    return (
        Task.objects.filter(flow_task_type="JOB", status=STATUS.ERROR)
        .select_related("process__case")
        .annotate(failure_reason=KeyTextTransform("title", KeyTransform("_exception", "data")))
        .order_by("-finished", "-pk")
    )


def pending_jobs() -> QuerySet[Task]:
    """Background jobs queued or running (SCHEDULED, STARTED), oldest first.

    Each row carries ``since``: when it was queued (SCHEDULED) or last started
    (STARTED), the time its age is counted from.
    """
    return (
        Task.objects.filter(flow_task_type="JOB", status__in=[STATUS.SCHEDULED, STATUS.STARTED])
        .select_related("process__case")
        .annotate(since=Coalesce("started", "created"))
        .order_by("since", "pk")
    )


def overdue_timers(*, grace: timedelta = timedelta(minutes=2)) -> QuerySet[Task]:
    """Workflow timers due more than ``grace`` ago and not fired (the sweep fires due
    timers every minute, so any row here means beat or the worker is not running)."""
    return (
        Task.objects.filter(
            flow_task_type="TIMER",
            status=STATUS.SCHEDULED,
            scheduled__lte=clock.now() - grace,  # timers are due by the product's clock
        )
        .select_related("process__case")
        .order_by("scheduled", "pk")
    )


@dataclass(frozen=True)
class BackgroundSummary:
    """Counts of background work that needs attention (coordinator home, health check)."""

    failed_jobs: int
    stuck_jobs: int  # queued or running for longer than the threshold
    unsent_emails: int  # not delivered for longer than the threshold
    overdue_timers: int

    @property
    def total(self) -> int:
        return self.failed_jobs + self.stuck_jobs + self.unsent_emails + self.overdue_timers

    def as_dict(self) -> dict[str, int]:
        return {
            "failed_jobs": self.failed_jobs,
            "stuck_jobs": self.stuck_jobs,
            "unsent_emails": self.unsent_emails,
            "overdue_timers": self.overdue_timers,
        }


def background_summary(*, stuck_after: timedelta | None = None) -> BackgroundSummary:
    """How much background work has failed or waited longer than ``stuck_after``
    (default: the ``SPARRING_STUCK_AFTER`` setting, seconds). Four count queries."""
    if stuck_after is None:
        stuck_after = timedelta(seconds=settings.SPARRING_STUCK_AFTER)
    return BackgroundSummary(
        failed_jobs=Task.objects.filter(flow_task_type="JOB", status=STATUS.ERROR).count(),
        # viewflow stamps tasks with the process clock, the outbox uses the product's
        stuck_jobs=pending_jobs().filter(since__lte=timezone.now() - stuck_after).count(),
        unsent_emails=email_unsent().filter(created__lte=clock.now() - stuck_after).count(),
        overdue_timers=overdue_timers().count(),
    )
