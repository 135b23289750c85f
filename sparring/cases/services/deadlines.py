"""The deadlines of the waiting steps (issue 14): reminder, second reminder, escalation.

When a step of the case flow starts waiting, its deadline timers (viewflow database
timers attached to the step's task, ``workflow.flows``) are armed; the first of them
makes the step's ``StepDeadline`` row (``step_deadline_open``) from the step's rule
(``cases.steps.STEPS[step].deadline``, numbers in ``settings.SPARRING_STEP_DEADLINES``,
computed in ``cases.deadlines``). When a timer fires, ``step_deadline_notice`` tells the
party who must act (reminder, second reminder) or the coordinators (escalation), once
per case, step occurrence and kind, and records it on the case's timeline. The timers
are cancelled with the step's task when the step is done (or the case stops).
"""

from collections.abc import Callable, Iterable
from datetime import datetime

from django.db import transaction
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from procurement.models import Offer
from sparring import clock
from sparring.audit import audit_record
from sparring.models import Case, SessionDay, StepDeadline
from sparring.notifications import (
    Recipient,
    applicant_side,
    consultant_of,
    coordinators,
    notify,
)

from .. import deadlines, states

REMINDER = "reminder"
SECOND_REMINDER = "second_reminder"
ESCALATION = "escalation"
KINDS = (REMINDER, SECOND_REMINDER, ESCALATION)

_FIELD = {
    REMINDER: "reminded_at",
    SECOND_REMINDER: "second_reminded_at",
    ESCALATION: "escalated_at",
}
# The review and the report had a reminder of their own before every step had one: their
# first reminder keeps its message and its timeline entry.
_FIRST_REMINDER = {
    "review": ("review_reminder", "review_reminder_sent"),
    "report": ("report_reminder", "report_reminder_sent"),
}
_EVENT = {
    REMINDER: ("deadline_reminder", "deadline_reminder_sent"),
    SECOND_REMINDER: ("deadline_second_reminder", "deadline_second_reminder_sent"),
    ESCALATION: ("deadline_escalation", "deadline_escalated"),
}


def step_deadline_open(
    *,
    case: Case,
    task,
    step: str,
    due_at: Callable[[Case, datetime], datetime],
    new_task: bool = False,
) -> StepDeadline:
    """The deadline of the waiting ``task`` of ``case``, made on its first call.

    Args:
        case: the case.
        task: the flow task (viewflow ``Task``) of the waiting step.
        step: the step's node name.
        due_at: the step's rule: ``due_at(case, since)`` gives the due moment.
        new_task: the task is being made now (its timers are being armed): no row
            is looked for, and the new row is returned unsaved, for the caller to save
            once the task has its row (``workflow.nodes.CaseStep`` inserts the task and
            its timers in one statement, then this row).

    Returns:
        The row: ``since`` is the product's ``clock.now()`` when first called.
    """
    since = clock.now()
    if new_task:
        return StepDeadline(case=case, step=step, task=task, since=since, due=due_at(case, since))
    existing = StepDeadline.objects.filter(task=task).first()
    if existing is not None:
        return existing
    return StepDeadline.objects.create(
        case=case, step=step, task=task, since=since, due=due_at(case, since)
    )


def _party(case: Case, actor: str):
    """The recipients of a reminder: who must act at a step (``steps.Actor`` values)."""
    if actor == "applicant":
        return applicant_side(case)
    if actor == "consultant":
        offer = (
            Offer.objects.filter(case=case, status=Offer.Status.OFFERED)
            .select_related("consultant__user", "consultant__supplier")
            .first()
        )
        return consultant_of(case, offer.consultant if offer else None)
    if actor == "coordinator" and case.handler is not None and case.handler.is_active:
        return [Recipient(case.handler.email, case.handler.language, case.handler)]
    return coordinators()


@transaction.atomic
def step_deadline_notice(*, deadline: StepDeadline, kind: str, actor: str, waiting) -> bool:
    """A deadline timer of a waiting step fired: tell whom it concerns, once.

    Args:
        deadline: the step's deadline row.
        kind: ``REMINDER`` or ``SECOND_REMINDER`` (to the party who must act, ``actor``)
            or ``ESCALATION`` (to every coordinator).
        actor: who must act at the step (``cases.steps.Actor``).
        waiting: the step's "what is awaited" text (translated for each recipient).

    Returns:
        True when the notice was sent now; False when it had been sent before (the
        business key is the case, the step's task and the kind), the step is done or
        the case is no longer open.

    Raises:
        KeyError: an unknown ``kind``.
    """
    field = _FIELD[kind]
    case = Case.objects.select_related("organisation", "handler").get(pk=deadline.case_id)
    if case.status not in states.OPEN:
        return False
    # Claimed only while the step is open (its task's ``finished``, copied on the row).
    claimed = (
        StepDeadline.objects.open()
        .filter(pk=deadline.pk, **{f"{field}__isnull": True})
        .update(**{field: clock.now()})
    )
    if not claimed:
        return False
    if kind == REMINDER and deadline.step in _FIRST_REMINDER:
        event, action = _FIRST_REMINDER[deadline.step]
    else:
        event, action = _EVENT[kind]
    recipients = coordinators() if kind == ESCALATION else _party(case, actor)
    audit_record(
        actor=None,
        action=action,
        subject=case,
        case=case,
        data={"step": deadline.step, "kind": kind, "due": deadline.due.isoformat()},
    )
    notify(event, case, recipients, deadline=deadline.due, step=waiting)
    return True


def days_noted(case: Case, days: Iterable[SessionDay], *, without: Iterable[str]) -> None:
    """Note on ``case`` its session days as just read under the flow lock (with the
    statuses the service then gave them): every day of the case but those whose status
    is in ``without``. The deadline rule of the step armed next in the same transaction
    (``deliver_due``, ``report_due``) reads their dates from the note instead of a query
    (issue 17). Call it after the step's ``case_move``: the note holds for the case's
    version of that moment only; any later change of the case moves the version on, and
    the rules then read the days again.
    """
    case._days_noted = (case.version, frozenset(without), [(d.date, d.status) for d in days])


def _last_day(case: Case, statuses: set[str]):
    """The date of the case's last session day whose status is in ``statuses`` (None: no
    such day): from ``days_noted``'s note when it is of the case's version and holds every
    day of those statuses, else one query."""
    noted = getattr(case, "_days_noted", None)
    if noted is not None:
        version, without, days = noted
        if version == case.version and not without & statuses:
            return max((date for date, status in days if status in statuses), default=None)
    return (
        case.days_planned.filter(status__in=sorted(statuses))
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )


def deliver_due(case: Case, since: datetime) -> datetime:
    """The rule of the "record the days held" step: ``deadlines.deliver_due_at`` after the
    last day planned (not cancelled)."""
    planned = set(SessionDay.Status.values) - {SessionDay.Status.CANCELLED}
    return deadlines.deliver_due_at(_last_day(case, planned), since)


def report_due(case: Case, since: datetime) -> datetime:
    """The rule of the report step: ``deadlines.report_due_at`` after the last day held."""
    return deadlines.report_due_at(_last_day(case, {SessionDay.Status.HELD}))


def deliver_deadline_follow_days(case: Case) -> None:
    """A day was moved, added or cancelled: the open "record the days" step's due date
    and its timers not yet fired follow the last planned day (notices sent stay sent).

    Called inside the delivery services' transaction.
    """
    deadline = StepDeadline.objects.open().filter(case=case, step="deliver").first()
    if deadline is None:
        return
    due = deliver_due(case, deadline.since)
    if due == deadline.due:
        return
    StepDeadline.objects.filter(pk=deadline.pk).update(due=due)
    moments = [
        due,
        deadlines.second_reminder_at("deliver", due),
        deadlines.escalation_at("deliver", due),
    ]
    timers = Task.objects.filter(previous=deadline.task, flow_task_type="TIMER").order_by(
        "scheduled", "pk"
    )
    for timer, moment in zip(timers, moments, strict=False):
        if moment is not None and timer.status == STATUS.SCHEDULED:
            Task.objects.filter(pk=timer.pk, status=STATUS.SCHEDULED).update(scheduled=moment)
