"""Reads of the API that the pages do not have yet: the caller's tasks and the late cases.

Both keep a fixed number of queries whatever the number of cases.
"""

from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from sparring import access, clock
from sparring.cases import selectors, states
from sparring.cases.steps import STEPS, Actor
from sparring.models import Case, StepDeadline

# As ``selectors.open_steps`` counts them (ERROR: a failed background job awaits a retry).
OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.SCHEDULED, STATUS.STARTED, STATUS.ERROR)


def _steps_q(steps, prefix: str = "") -> Q:
    """Tasks of the named flow steps (``flow_task`` is stored as ``app/module.Flow.step``);
    ``prefix``: the path to the task from the model queried (e.g. ``process__task__``)."""
    return reduce(
        or_, (Q(**{f"{prefix}flow_task__endswith": f".{step}"}) for step in steps), Q(pk__in=[])
    )


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

    Each case carries ``waiting_since``: when its oldest such step opened (the step's
    viewflow task's ``created``). Oldest first, then by case id.

    One query, paged from the open tasks of the flow's steps in the order they opened
    (the partial index ``task_open_step_created``, migration ``sparring 0024``), each
    joined to its case; a case with two open steps of the role is listed once, at the
    older (issue 17: a sort by a value computed for every visible case took 18 s at
    100 000 cases).
    """
    steps = steps_of(role_of(user))
    task = "process__task__"
    open_step = _steps_q(steps, prefix=task) & Q(
        **{f"{task}status__in": OPEN_TASK_STATUSES, f"{task}flow_task_type": "FUNCTION"}
    )
    older = Task.objects.filter(
        _steps_q(steps),
        Q(created__lt=OuterRef("waiting_since"))
        | Q(created=OuterRef("waiting_since"), pk__lt=OuterRef("waiting_task")),
        process_id=OuterRef("process_id"),
        status__in=OPEN_TASK_STATUSES,
        flow_task_type="FUNCTION",
    )
    return (
        selectors.case_list(access.visible_cases(user))
        .filter(open_step)
        .annotate(waiting_since=F(f"{task}created"), waiting_task=F(f"{task}id"))
        .filter(~Exists(older))
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
    first, then by case id.

    One query, paged from the open deadlines in due order (the partial index
    ``stepdeadline_open_due``: ``StepDeadline.finished`` is the step's task's, copied by
    ``cases.deadline_triggers``), each joined to its case; a case with two late steps
    is listed once, at the earlier (issue 17: a subquery for every open case took
    60 s under load at 100 000 cases).

    Args:
        now: the moment lateness is judged at (default: the product's clock).
    """
    now = now or clock.now()
    late = "step_deadlines__"
    earlier = StepDeadline.objects.open().filter(
        Q(due__lt=OuterRef("due")) | Q(due=OuterRef("due"), pk__lt=OuterRef("late_deadline")),
        case=OuterRef("pk"),
    )
    return (
        selectors.case_list(Case.objects.filter(status__in=states.OPEN))
        .filter(**{f"{late}finished__isnull": True, f"{late}due__lt": now})
        .annotate(
            late_step=F(f"{late}step"),
            waiting_since=F(f"{late}since"),
            due=F(f"{late}due"),
            late_deadline=F(f"{late}id"),
        )
        .filter(~Exists(earlier))
        .order_by("due", "pk")
    )
