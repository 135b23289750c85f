"""The case page's task box: "what happens next" for the person reading the page.

``YOUR_PART`` says, for each step of ``steps.STEPS`` that a person takes, what
the one who must act does now; ``task_box`` gathers what they need for it: the
return-for-amendment comment, the proposed dates, the days to record today, the
survey link to share. ``tests/unit/cases/test_task_box.py`` fails when a step
with a human actor has no entry here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sparring import access, clock
from sparring.models import AuditEvent, Case, SessionDay
from sparring.surveys import services as survey_services

from . import states
from .steps import STEPS, Actor

# What the person who must act does at each step (shown only to them).
YOUR_PART: dict[str, Promise] = {
    "review": _("Review the application and save your decision below."),
    "amend": _(
        "Amend the application as the coordinator asked (the comment is below) and submit it again."
    ),
    "call_off": _("Call off a consultant of the framework agreement below."),
    "offer": _("Accept or decline the offer below before its deadline."),
    "schedule": _("Agree on the dates with the applicant and propose them here."),
    "confirm": _("Check the proposed dates below; confirm them or ask for other dates."),
    "deliver": _("Record each day here on the day it is held, with its number of participants."),
    "report": _("File the report on the sparring."),
    "feedback": _(
        "Share the feedback survey with everyone who took part: give them the link or "
        "print the sheet."
    ),
    "close": _("Close the case below when everything is done."),
}


@dataclass
class TaskBox:
    """What the task box shows one reader.

    Attributes:
        actor: the reader's ``steps.Actor`` on this case (None: no part in it).
        mine: ``(node, text)`` of the open steps the reader must take.
        others: ``(node, text)`` of the open steps someone else takes.
        return_comment: the coordinator's comment while the application waits for
            amendment (applicants and coordinators), else "".
        proposed_days: the days waiting for the applicant's confirmation.
        days_to_record: the consultant's confirmed days dated today or earlier.
        next_day: the consultant's next confirmed day in the future, if any.
        survey: the survey's link and printable sheet (``surveys.services.survey_share``)
            for the applicant and coordinators while the survey is open, else None.
    """

    actor: str | None = None
    mine: list[tuple[str, Any]] = field(default_factory=list)
    others: list[tuple[str, Any]] = field(default_factory=list)
    return_comment: str = ""
    proposed_days: list[SessionDay] = field(default_factory=list)
    days_to_record: list[SessionDay] = field(default_factory=list)
    next_day: SessionDay | None = None
    survey: Any = None

    def __bool__(self) -> bool:
        """Shown to everyone with a part in the case while a step is open."""
        return bool(self.actor) and bool(
            self.mine or self.others or self.return_comment or self.days_to_record or self.survey
        )


def reader_actor(user, case: Case) -> str | None:
    """Which ``steps.Actor`` the reader is on this case (None: steering, another org…)."""
    if access.is_coordinator(user):
        return Actor.COORDINATOR
    if access.is_case_applicant(user, case):
        return Actor.APPLICANT
    if access.is_consultant(user):
        return Actor.CONSULTANT
    return None


def return_comment(case: Case) -> str:
    """The comment of the latest return for amendment while the case waits for it, else ""."""
    if case.status != states.CaseStatus.RETURNED:
        return ""
    event = (
        AuditEvent.objects.filter(case=case, action="case_returned")
        .order_by("-created", "-pk")
        .only("comment")
        .first()
    )
    return event.comment if event else ""


def task_box(user, case: Case, open_nodes: list[str], days: list[SessionDay]) -> TaskBox:
    """What ``user`` needs to act on ``case`` now (the case page's task box).

    Args:
        open_nodes: the open steps (``selectors.open_steps``).
        days: the case's days, ordered by date (the page has read them already).
    """
    actor = reader_actor(user, case)
    box = TaskBox(actor=actor)
    for node in STEPS:
        if node not in open_nodes:
            continue
        step = STEPS[node]
        # The participants answer the survey; the applicant is the one who shares it.
        acting = Actor.APPLICANT if step.actor == Actor.PARTICIPANTS else step.actor
        mine = acting == actor and node in YOUR_PART
        if mine and node in ("schedule", "deliver", "report", "offer"):
            # Only the consultant the case is offered or assigned to.
            mine = node == "offer" or access.is_case_consultant(user, case)
        if mine:
            box.mine.append((node, YOUR_PART[node]))
        else:
            box.others.append((node, step.waiting))
    if actor in (Actor.APPLICANT, Actor.COORDINATOR):
        box.return_comment = return_comment(case)
    if actor == Actor.APPLICANT and "confirm" in open_nodes:
        box.proposed_days = [d for d in days if d.status == SessionDay.Status.PROPOSED]
    if "deliver" in open_nodes and access.is_case_consultant(user, case):
        today = clock.today()
        confirmed = [d for d in days if d.status == SessionDay.Status.CONFIRMED]
        box.days_to_record = [d for d in confirmed if d.date <= today]
        box.next_day = next((d for d in confirmed if d.date > today), None)
    if actor in (Actor.APPLICANT, Actor.COORDINATOR) and case.status in states.OPEN:
        box.survey = survey_services.survey_share(case)
    return box
