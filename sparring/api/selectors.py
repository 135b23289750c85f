"""Reads of the API that the pages do not have yet: the caller's tasks and the late cases.

Both keep a fixed number of queries whatever the number of cases.
"""

from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from sparring import access, clock
from sparring.cases import selectors, states
from sparring.cases.steps import STEPS, Actor
from sparring.models import Case, StepDeadline

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


def late_cases(now: datetime | None = None) -> QuerySet[Case]:
    """Open cases with a step past its due date (the rule of the late-cases page:
    ``StepDeadline`` rows made from ``cases.steps``/``cases.deadlines``), with the
    earliest late step's ``late_step``, ``waiting_since`` and ``due``; most late
    first. One query (subqueries for the step)."""
    now = now or clock.now()
    late = StepDeadline.objects.filter(
        case=OuterRef("pk"), task__finished__isnull=True, due__lt=now
    ).order_by("due", "pk")
    return (
        selectors.case_list(Case.objects.filter(status__in=states.OPEN))
        .annotate(
            late_step=Subquery(late.values("step")[:1]),
            waiting_since=Subquery(late.values("since")[:1]),
            due=Subquery(late.values("due")[:1]),
        )
        .filter(due__isnull=False)
        .order_by("due", "pk")
    )
