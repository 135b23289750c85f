"""The case's states: every status, every named set of statuses and every allowed move.

This is the one place where the programme's case lifecycle is written down. The
flow's conditions, the services' compare-and-set, procurement's capacity and
budget rules, the selectors behind the role homes, the statistics and the demo
replay all import from here; nothing else spells a status as a string.

Each status declares its classification in ``RULES`` (a ``StatusRules`` has no
defaults, so a new status cannot be added without deciding every property), and
the named sets below are derived from it. ``tests/unit/test_case_states.py``
checks that the table covers every status and that the sets are consistent.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    """Where an application, and the case it becomes, stands. Order = order of the flow."""

    DRAFT = "draft", _("Draft")  # saved by the applicant, not yet submitted
    SUBMITTED = "submitted", _("Waiting for review")  # a coordinator decides
    RETURNED = "returned", _("Returned for amendment")  # the applicant amends
    REJECTED = "rejected", _("Rejected")  # final
    APPROVED = "approved", _("Approved, finding a consultant")  # call-off
    OFFERED = "offered", _("Offered to a consultant")  # consultant answers
    SCHEDULING = "scheduling", _("Agreeing the dates")  # dates proposed/confirmed
    DELIVERY = "delivery", _("Sparring days under way")  # days being held
    REPORTING = "reporting", _("Waiting for the report")  # consultant files it
    FEEDBACK = "feedback", _("Collecting feedback")  # survey open
    CLOSING = "closing", _("Waiting to be closed")  # feedback period over; a coordinator closes
    CLOSED = "closed", _("Closed")  # final
    WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")  # final
    CANCELLED = "cancelled", _("Cancelled by a coordinator")  # final


@dataclass(frozen=True)
class StatusRules:
    """What a status means for the rest of the product (no defaults on purpose)."""

    open: bool  # a flow step is waiting: the case can be withdrawn or cancelled
    final: bool  # nothing happens any more
    committed: bool  # approved days count against consultant capacity and agreement budget
    coordinator_waits: bool  # a coordinator must act (inbox and queue)
    applicant_edits: bool  # the applicant may change the application and its files
    report_correctable: bool  # a filed report may be returned and corrected
    stopped: bool  # ended before delivery was completed (withdrawn or cancelled)


S = CaseStatus
RULES: dict[CaseStatus, StatusRules] = {
    S.DRAFT: StatusRules(
        open=False,
        final=False,
        committed=False,
        coordinator_waits=False,
        applicant_edits=True,
        report_correctable=False,
        stopped=False,
    ),
    S.SUBMITTED: StatusRules(
        open=True,
        final=False,
        committed=False,
        coordinator_waits=True,
        applicant_edits=False,
        report_correctable=False,
        stopped=False,
    ),
    S.RETURNED: StatusRules(
        open=True,
        final=False,
        committed=False,
        coordinator_waits=False,
        applicant_edits=True,
        report_correctable=False,
        stopped=False,
    ),
    S.REJECTED: StatusRules(
        open=False,
        final=True,
        committed=False,
        coordinator_waits=False,
        applicant_edits=False,
        report_correctable=False,
        stopped=False,
    ),
    S.APPROVED: StatusRules(
        open=True,
        final=False,
        committed=False,
        coordinator_waits=True,
        applicant_edits=False,
        report_correctable=False,
        stopped=False,
    ),
    S.OFFERED: StatusRules(
        open=True,
        final=False,
        committed=True,
        coordinator_waits=False,
        applicant_edits=False,
        report_correctable=False,
        stopped=False,
    ),
    S.SCHEDULING: StatusRules(
        open=True,
        final=False,
        committed=True,
        coordinator_waits=False,
        applicant_edits=False,
        report_correctable=False,
        stopped=False,
    ),
    S.DELIVERY: StatusRules(
        open=True,
        final=False,
        committed=True,
        coordinator_waits=False,
        applicant_edits=False,
        report_correctable=False,
        stopped=False,
    ),
    S.REPORTING: StatusRules(
        open=True,
        final=False,
        committed=True,
        coordinator_waits=False,
        applicant_edits=False,
        report_correctable=False,
        stopped=False,
    ),
    S.FEEDBACK: StatusRules(
        open=True,
        final=False,
        committed=True,
        coordinator_waits=False,
        applicant_edits=False,
        report_correctable=True,
        stopped=False,
    ),
    S.CLOSING: StatusRules(
        open=True,
        final=False,
        committed=True,
        coordinator_waits=True,
        applicant_edits=False,
        report_correctable=True,
        stopped=False,
    ),
    S.CLOSED: StatusRules(
        open=False,
        final=True,
        committed=True,
        coordinator_waits=False,
        applicant_edits=False,
        report_correctable=False,
        stopped=False,
    ),
    S.WITHDRAWN: StatusRules(
        open=False,
        final=True,
        committed=False,
        coordinator_waits=False,
        applicant_edits=False,
        report_correctable=False,
        stopped=True,
    ),
    S.CANCELLED: StatusRules(
        open=False,
        final=True,
        committed=False,
        coordinator_waits=False,
        applicant_edits=False,
        report_correctable=False,
        stopped=True,
    ),
}


def _where(prop: str) -> tuple[CaseStatus, ...]:
    return tuple(status for status in CaseStatus if getattr(RULES[status], prop))


#: A flow step is waiting; withdrawal (applicant) and cancellation (coordinator) are possible.
OPEN = _where("open")
#: Nothing happens any more.
FINAL = _where("final")
#: The approved days are spoken for: they load the consultant's capacity and the agreement's
#: budget (framework agreement terms: a call-off commits the supplier's days and price).
COMMITTED = _where("committed")
#: A coordinator must act: the coordinators' inbox and queue.
WAITING_FOR_COORDINATOR = _where("coordinator_waits")
#: The applicant may change the application and add or remove files.
APPLICANT_EDITS = _where("applicant_edits")
#: A filed report may be returned to the consultant and corrected.
REPORT_CORRECTABLE = _where("report_correctable")
#: Ended by withdrawal or cancellation; days already held there still used the call's budget.
STOPPED = _where("stopped")
#: Not going ahead: rejected, withdrawn or cancelled (their approved days are free again).
NOT_PROCEEDING = (S.REJECTED, *STOPPED)
#: A consultant still works on it (their home's assignments).
NOT_FINAL = tuple(status for status in CaseStatus if status not in FINAL)
#: A coordinator may take responsibility for the case, hand it to a colleague or release it
#: (submitted and not yet ended; a draft is the applicant's alone).
ASSIGNABLE = tuple(status for status in NOT_FINAL if status != S.DRAFT)

#: Every allowed move of ``Case.status``: source -> targets. A move to the same status
#: (a change that keeps the status, such as a new day) is always allowed for open cases.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.APPROVED, S.RETURNED, S.REJECTED}),
    S.RETURNED: frozenset({S.SUBMITTED}),
    S.APPROVED: frozenset({S.OFFERED}),
    S.OFFERED: frozenset({S.SCHEDULING, S.APPROVED}),  # accepted; declined or expired
    S.SCHEDULING: frozenset({S.DELIVERY}),
    S.DELIVERY: frozenset({S.REPORTING}),
    S.REPORTING: frozenset({S.FEEDBACK}),
    S.FEEDBACK: frozenset({S.CLOSING}),
    S.CLOSING: frozenset({S.CLOSED}),
    S.REJECTED: frozenset(),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.CANCELLED: frozenset(),
}
for _status in OPEN:  # withdrawal and cancellation from any open step
    TRANSITIONS[_status] = TRANSITIONS[_status] | {S.WITHDRAWN, S.CANCELLED}


class TransitionNotAllowed(Exception):
    """A service asked for a move that the lifecycle does not have (a programming error)."""


def check_transition(source: str, target: str) -> None:
    """Raise ``TransitionNotAllowed`` unless ``source -> target`` is in ``TRANSITIONS``.

    Staying in the same status is allowed for every non-final status (a change
    on the case, such as a moved day, raises its version without moving it).
    """
    source, target = CaseStatus(source), CaseStatus(target)
    if source == target and source not in FINAL:
        return
    if target not in TRANSITIONS[source]:
        raise TransitionNotAllowed(f"{source} -> {target}")
