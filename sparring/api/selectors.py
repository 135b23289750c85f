"""Reads of the API that the pages do not have yet: the caller's tasks and the late cases.

Both keep a fixed number of queries whatever the number of cases.
"""

from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from sparring import access, clock
from sparring.cases import deadlines, selectors, states
from sparring.cases.steps import STEPS, Actor
from sparring.models import Case
from sparring.workdays import HELSINKI

# As ``selectors.open_steps`` counts them (ERROR: a failed background job awaits a retry).
OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.SCHEDULED, STATUS.STARTED, STATUS.ERROR)


def _steps_q(steps) -> Q:
    """Tasks of the named flow steps (``flow_task`` is stored as ``app/module.Flow.step``)."""
    return reduce(or_, (Q(flow_task__endswith=f".{step}") for step in steps), Q(pk__in=[]))


def role_of(user) -> str | None:
    """The ``steps.Actor`` that ``user`` acts as (None: nobody's steps)."""
    if access.is_coordinator(user):
        return Actor.COORDINATOR
    if access.is_consultant(user):
        return Actor.CONSULTANT
    if access.is_applicant(user):
        return Actor.APPLICANT
    return None


def steps_of(role: str | None) -> list[str]:
    """The flow steps that ``role`` takes (the step registry, ``steps.STEPS``)."""
    return [name for name, step in STEPS.items() if step.actor == role]


def open_tasks(*, process_ids, steps) -> QuerySet[Task]:
    """Open tasks of ``steps`` in the given processes (as ``selectors.open_steps`` counts them)."""
    return Task.objects.filter(
        _steps_q(steps), process_id__in=process_ids, status__in=OPEN_TASK_STATUSES
    )


def task_cases(user) -> QuerySet[Case]:
    """The cases in ``visible_cases(user)`` with an open step that ``user``'s role takes.

    Each case carries ``waiting_since``: when its oldest such step opened. Oldest first.
    """
    steps = steps_of(role_of(user))
    tasks = Task.objects.filter(
        _steps_q(steps), process_id=OuterRef("process_id"), status__in=OPEN_TASK_STATUSES
    )
    return (
        selectors.case_list(access.visible_cases(user))
        .filter(Exists(tasks))
        .annotate(waiting_since=Subquery(tasks.order_by("created").values("created")[:1]))
        .order_by("waiting_since", "pk")
    )


def steps_by_process(cases, steps) -> dict[int, list[Task]]:
    """The open tasks of ``steps`` of each case's process, in one query: {process_id: [task]}."""
    result: dict[int, list[Task]] = {}
    process_ids = [case.process_id for case in cases if case.process_id]
    for task in open_tasks(process_ids=process_ids, steps=steps).order_by("created", "pk"):
        result.setdefault(task.process_id, []).append(task)
    return result


def late_cutoff(now: datetime | None = None) -> datetime:
    """Cases waiting since before this moment are late.

    Late: the review reminder's moment (``deadlines.review_reminder_at``: the
    ``SPARRING_REVIEW_REMINDER_WORKING_DAYS``-th working day after, Finnish
    holidays skipped) has passed since the coordinator's step opened. The reminder
    depends only on the day the step opened, so this is midnight (Helsinki) after
    the last such day whose reminder has passed.
    """
    now = now or clock.now()
    day: date = now.astimezone(HELSINKI).date()
    # Step back until a step opened on `day` would be overdue now (a few weeks at most).
    for _step in range(400):
        if deadlines.review_reminder_at(datetime.combine(day, time(12), tzinfo=HELSINKI)) < now:
            break
        day -= timedelta(days=1)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=HELSINKI)


def late_cases(now: datetime | None = None) -> QuerySet[Case]:
    """Cases waiting for a coordinator (review, call-off, closing) for longer than the
    review reminder's period, with ``waiting_since``: when the open coordinator step
    was created. Oldest first. One query (a subquery for the time)."""
    steps = steps_of(Actor.COORDINATOR)
    tasks = Task.objects.filter(
        _steps_q(steps), process_id=OuterRef("process_id"), status__in=OPEN_TASK_STATUSES
    )
    waiting = (
        selectors.case_list(Case.objects.filter(status__in=states.WAITING_FOR_COORDINATOR))
        .annotate(waiting_since=Subquery(tasks.order_by("created").values("created")[:1]))
        .filter(waiting_since__isnull=False)
    )
    return waiting.filter(waiting_since__lt=late_cutoff(now)).order_by("waiting_since", "pk")
