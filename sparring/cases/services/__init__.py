"""Writes of the case: each step of the application, review, call-off, dates, days and closing.

Every function is a service in the sense of ``docs/architecture.md``: it checks
the actor's permission, validates, moves the case with a compare-and-set under
the flow lock (``sparring.cases.transitions``), writes the audit row and queues
the e-mail after commit. Views, the step registry, the flow's timers, the API
and the demo replay call these functions and nothing below them.
"""

from ..transitions import CaseError, StaleCase, StepNotAvailable
from .application import (
    AlreadySaved,
    attachment_add,
    attachment_remove,
    case_create,
    case_delete_draft,
    case_submit,
    case_update,
)
from .assignment import case_hand, case_release, case_take, cases_hand
from .calloff import case_call_off, offer_answer, offer_expire
from .calls import call_close, call_open, call_save
from .closing import case_cancel, case_close, case_withdraw, feedback_end
from .delivery import (
    session_day_add,
    session_day_cancel,
    session_day_record,
    session_day_reschedule,
)
from .review import Decision, call_days_committed, case_decide, case_review_reminder
from .schedule import schedule_confirm, schedule_propose

__all__ = [
    "AlreadySaved",
    "CaseError",
    "Decision",
    "StaleCase",
    "StepNotAvailable",
    "attachment_add",
    "attachment_remove",
    "call_close",
    "call_days_committed",
    "call_open",
    "call_save",
    "case_call_off",
    "case_cancel",
    "case_close",
    "case_create",
    "case_decide",
    "case_delete_draft",
    "case_hand",
    "case_release",
    "case_review_reminder",
    "case_submit",
    "case_take",
    "case_update",
    "case_withdraw",
    "cases_hand",
    "feedback_end",
    "offer_answer",
    "offer_expire",
    "schedule_confirm",
    "schedule_propose",
    "session_day_add",
    "session_day_cancel",
    "session_day_record",
    "session_day_reschedule",
]
