"""Reconciliation: the database is the truth and the queue is rebuilt from it.

Redis holds only messages. When they are lost (Redis restarted empty, the
broker down when a change committed, a worker that took messages and could not
finish them), the rows in PostgreSQL still say what is pending:

* flow job tasks (``CeleryJob``) SCHEDULED for longer than
  ``SPARRING_REQUEUE_AFTER`` or STARTED for longer than
  ``SPARRING_REQUEUE_STARTED_AFTER`` (longer than any run may take: the task's
  hard time limit has killed it by then);
* outbox rows not sent, out of their backoff and not given up (one flush of them
  all: ``sparring.tasks.flush_emails``);
* corrected reports (revision 2 on) whose PDF has not been made.

``requeue_pending`` queues each of them again. That is safe because every job
is idempotent: a job that is no longer runnable when its message arrives is
skipped, flow tasks complete once under the flow lock, e-mail delivery locks
its row and never sends a sent row, and a report revision has one PDF
(``ReportDocument.source`` is unique). It runs every minute from Celery beat
(``workflow.tasks.requeue_pending``) and by hand with
``manage.py requeue_pending`` (for instance after restoring a backup).
"""

import logging
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from sparring import clock, emails
from sparring.background import dispatch
from sparring.reports.models import Report, ReportDocument
from sparring.reports.rendering import RENDER_REPORT_REVISION

from . import services

logger = logging.getLogger(__name__)


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=getattr(settings, name))


@dataclass
class Requeued:
    """What one sweep queued again (counts), and what it could not queue."""

    jobs: int = 0
    emails: int = 0  # due outbox rows a flush was queued for
    reports: int = 0
    not_queued: int = 0  # the broker could not be reached: the next sweep tries again
    task_pks: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def total(self) -> int:
        return self.jobs + self.emails + self.reports


def pending_jobs(*, scheduled_after: timedelta, started_after: timedelta) -> QuerySet[Task]:
    """Job tasks the sweep queues again: SCHEDULED longer than ``scheduled_after``
    (from their creation), STARTED longer than ``started_after`` (from their start)."""
    now = timezone.now()  # viewflow stamps its tasks with the process clock
    return Task.objects.filter(
        Q(status=STATUS.SCHEDULED, created__lte=now - scheduled_after)
        | Q(status=STATUS.STARTED, started__lte=now - started_after),
        flow_task_type="JOB",
    ).order_by("pk")


def missing_report_pdfs(*, older_than: timedelta) -> QuerySet[Report]:
    """Corrected reports (revision 2 on) filed more than ``older_than`` ago with no PDF
    of their revision. The first filing's PDF is the flow's job, counted among the jobs."""
    key = Concat(
        Value("revision:"),
        Cast("pk", CharField()),
        Value(":"),
        Cast("revision", CharField()),
        output_field=CharField(),
    )
    return (
        Report.objects.filter(
            status=Report.Status.SUBMITTED,
            revision__gte=2,
            submitted_at__lte=clock.now() - older_than,
        )
        .annotate(pdf_source=key)
        .filter(~Exists(ReportDocument.objects.filter(source=OuterRef("pdf_source"))))
        .order_by("pk")
    )


def _not_recently_queued(kind: str, pk: int | str, within: timedelta) -> bool:
    """True unless this sweep queued the same thing less than ``within`` ago.

    Keeps a long queue from being filled with copies; with the cache down it
    answers True (a duplicate message costs a skipped run, nothing more).
    """
    try:
        seconds = max(int(within.total_seconds()), 1)
        return bool(cache.add(f"requeued:{kind}:{pk}", 1, timeout=seconds))
    except Exception:
        return True


def requeue_pending(
    *,
    scheduled_after: timedelta | None = None,
    started_after: timedelta | None = None,
    email_after: timedelta | None = None,
    report_after: timedelta | None = None,
    throttle: bool = True,
) -> Requeued:
    """Queue again every background job the database says is pending.

    Args:
        scheduled_after, started_after, email_after, report_after: how old pending
            work must be before it is queued again (give zero after a restore).
            Default: the ``SPARRING_REQUEUE_AFTER`` setting (60 s), for a running
            job ``SPARRING_REQUEUE_STARTED_AFTER`` (120 s, above the hard time
            limit of a job, so the run it replaces is dead).
        throttle: skip what this sweep queued less than a threshold ago (the
            command's ``--all`` turns it off).

    Returns the counts. Never raises for a broker that is down (the work stays
    pending for the next sweep); a database that is down raises its error.
    """
    after = _seconds("SPARRING_REQUEUE_AFTER")
    scheduled_after = after if scheduled_after is None else scheduled_after
    email_after = after if email_after is None else email_after
    report_after = after if report_after is None else report_after
    if started_after is None:
        started_after = _seconds("SPARRING_REQUEUE_STARTED_AFTER")
    result = Requeued()

    def queued(ok: bool) -> bool:
        if not ok:
            result.not_queued += 1
        return ok

    for task in pending_jobs(scheduled_after=scheduled_after, started_after=started_after):
        if throttle and not _not_recently_queued("job", task.pk, scheduled_after):
            continue
        try:
            sent = services.job_requeue(task_pk=task.pk)
        except (services.JobNotPending, Task.DoesNotExist):
            continue  # finished meanwhile
        if queued(sent):
            result.jobs += 1
            result.task_pks.append(task.pk)

    # One flush delivers every due row (of those older than the threshold: younger ones
    # have their own delivery queued); it never sends a row another delivery holds.
    due = emails.email_due(older_than=email_after).count()
    if due and (not throttle or _not_recently_queued("email", "flush", email_after)):
        if queued(emails.flush_now(older_than=email_after)):
            result.emails += due

    for report in missing_report_pdfs(older_than=report_after):
        if throttle and not _not_recently_queued("report", report.pk, report_after):
            continue
        if queued(dispatch(RENDER_REPORT_REVISION, args=[report.case_id, report.pdf_source])):
            result.reports += 1

    if result.total or result.not_queued:
        logger.warning(
            "Reconciliation queued again %s jobs, %s e-mails, %s report PDFs; %s not queued",
            result.jobs,
            result.emails,
            result.reports,
            result.not_queued,
        )
    return result
