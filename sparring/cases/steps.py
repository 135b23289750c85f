"""The step registry: one declaration per step of the case.

``STEPS`` has an entry for every node of the case flow where someone (or the
system) is awaited: who acts, what the case page says while it waits, and how it
is done — by an action on the case page (``ACTIONS``) or on a page of its own.
``ACTIONS`` has an entry for every button of the case page: the form, the
service it calls, the message shown after it, the notifications it may send and
when it is offered. The case page's action boxes, the action dispatch, the "who
is waiting" text and the demo replay all read these tables, so adding a step is a
new flow node, an entry here, a state in ``states``, its template part, its
translations and its tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from procurement import calloff, minicompetition, reports
from procurement.competition_forms import AwardForm, CompetitionOpenForm
from procurement.models import FrameworkAgreement, Offer
from sparring import access
from sparring.models import Case, SessionDay

from . import deadlines, services, states
from .forms import (
    CallOffForm,
    CloseForm,
    ConfirmDatesForm,
    DecisionForm,
    HandForm,
    OfferAnswerForm,
    StopForm,
    VersionedForm,
)
from .services import deadlines as deadline_services


class Actor:
    """Who a step waits for (the role names of ``sparring.models.User.Role``, and two more)."""

    APPLICANT = "applicant"
    COORDINATOR = "coordinator"
    CONSULTANT = "consultant"
    PARTICIPANTS = "participants"
    SYSTEM = "system"  # background work: nobody needs to act, but the case is not finished


# Who must act, as lists name it.
ACTOR_LABELS = {
    Actor.APPLICANT: _("Applicant"),
    Actor.COORDINATOR: _("Coordinator"),
    Actor.CONSULTANT: _("Consultant"),
    Actor.PARTICIPANTS: _("Participants"),
    Actor.SYSTEM: _("Background work"),
}


@dataclass(frozen=True)
class Step:
    """A node of the case flow that waits for someone.

    Attributes:
        node: the flow node's name (``workflow.flows.SparringFlow``).
        actor: who must act (``Actor``).
        waiting: what the case page says while the step is open.
        actions: the case page's actions that take the step (keys of ``ACTIONS``).
        page: the URL name of the page where it is taken when it has one of its own.
        label: the step's short name in lists (the late cases page).
        deadline: the step's deadline rule (issue 14): ``deadline(case, since)`` gives the
            moment the step falls due (``cases.deadlines``; the party is reminded then and
            again later, then the coordinators are told, as ``SPARRING_STEP_DEADLINES``
            says); None for steps nobody can be reminded of (background work, the feedback
            period).
    """

    node: str
    actor: str
    waiting: Promise
    actions: tuple[str, ...] = ()
    page: str | None = None
    deadline: Callable[[Case, datetime], datetime] | None = None
    label: Promise | None = None


def _working_days(step: str) -> Callable[[Case, datetime], datetime]:
    """The rule "due ``SPARRING_STEP_DEADLINES[step]['due']`` working days after it waits"."""
    return lambda case, since: deadlines.step_due_at(step, since)


def _offer_due(case: Case, since: datetime) -> datetime:
    """The offer is due when it expires: the open offer's own deadline (one rule,
    ``deadlines.offer_deadline``, stored on the offer by the call-off). While the case
    is not offered yet (the call-off arms the offer's step before it makes the offer,
    issue 17) there is no offer to read: the rule gives the deadline."""
    from procurement.models import Offer

    if case.status != Case.Status.OFFERED:
        return deadlines.offer_deadline(since)
    deadline = (
        Offer.objects.filter(case=case, status=Offer.Status.OFFERED)
        .order_by("-pk")
        .values_list("deadline", flat=True)
        .first()
    )
    return deadline or deadlines.offer_deadline(since)


STEPS: dict[str, Step] = {
    step.node: step
    for step in (
        Step(
            "review",
            Actor.COORDINATOR,
            _("A coordinator reviews the application."),
            actions=("decide",),
            deadline=lambda case, since: deadlines.review_due_at(since),
            label=_("Review"),
        ),
        Step(
            "amend",
            Actor.APPLICANT,
            _("The applicant amends the application and submits it again."),
            actions=("submit",),
            page="sparring:case_edit",
            deadline=_working_days("amend"),
            label=_("Amendment"),
        ),
        Step(
            "call_off",
            Actor.COORDINATOR,
            _("A coordinator calls off a consultant."),
            actions=("call_off",),
            deadline=_working_days("call_off"),
            label=_("Call-off"),
        ),
        Step(
            "offer",
            Actor.CONSULTANT,
            _("The consultant accepts or declines the offer."),
            actions=("answer",),
            deadline=_offer_due,
            label=_("Answer to the offer"),
        ),
        Step(
            "schedule",
            Actor.CONSULTANT,
            _("The consultant proposes the dates."),
            page="sparring:case_schedule",
            deadline=_working_days("schedule"),
            label=_("Proposing dates"),
        ),
        Step(
            "confirm",
            Actor.APPLICANT,
            _("The applicant confirms the proposed dates."),
            actions=("confirm",),
            deadline=_working_days("confirm"),
            label=_("Confirming dates"),
        ),
        Step(
            "deliver",
            Actor.CONSULTANT,
            _("The sparring days are held; the consultant records each day."),
            page="sparring:day_held",
            deadline=deadline_services.deliver_due,
            label=_("Recording the days held"),
        ),
        Step(
            "report",
            Actor.CONSULTANT,
            _("The consultant files the report."),
            page="sparring:case_report",
            deadline=deadline_services.report_due,
            label=_("Report"),
        ),
        Step(
            "render_report",
            Actor.SYSTEM,
            _("The report's PDF is being made; the feedback survey opens with it."),
        ),
        Step(
            "feedback",
            Actor.PARTICIPANTS,
            _("The participants give feedback until the feedback period ends."),
        ),
        Step(
            "close",
            Actor.COORDINATOR,
            _("A coordinator closes the case."),
            actions=("close",),
            deadline=_working_days("close"),
            label=_("Closing"),
        ),
    )
}


# ------------------------------------------------------------------------------
# The case page's actions
# ------------------------------------------------------------------------------

User = Any
Forms = dict[str, Any]


@dataclass(frozen=True)
class Action:
    """A button of the case page (POST ``/cases/<pk>/do/<key>/``).

    Attributes:
        key: the action's name in the URL and in the page's ``forms``.
        form: the form class that validates the POST.
        perform: calls the service: ``perform(user, case, cleaned_data)``.
        success: the message shown after it worked.
        offered: whether the page offers it: ``offered(user, case, open_nodes)``.
        build: the forms the page shows for it (default: ``{key: form(initial)}``).
        bind: the form bound to a POST (default: ``form(data)``).
        notifies: the notification events the service may send (``sparring.notifications``).
        case_related: what the POST reads joined to the case (``selectors.action_case``);
            None for the default (``selectors.ACTION_CASE_RELATED``).
    """

    key: str
    form: type
    perform: Callable[[User, Case, dict], Any]
    success: Promise
    offered: Callable[[User, Case, list[str]], bool]
    build: Callable[[User, Case], Forms] | None = None
    bind: Callable[[Case, Any], Any] | None = None
    notifies: tuple[str, ...] = ()
    case_related: tuple[str, ...] | None = None

    def forms_for(self, user: User, case: Case) -> Forms:
        """The unbound forms the case page shows for this action."""
        if self.build is not None:
            return self.build(user, case)
        return {self.key: self.form(initial={"version": case.version})}

    def bound(self, case: Case, data: Any):
        """The form bound to the POSTed ``data``."""
        if self.bind is not None:
            return self.bind(case, data)
        return self.form(data)


def _decision_forms(user: User, case: Case) -> Forms:
    return {
        "decide": DecisionForm(
            initial={"version": case.version, "approved_days": case.requested_days}
        )
    }


def call_off_form(case: Case, data: Any = None):
    """The call-off form with the agreement's ranked candidates and its proposal attached."""
    agreement = calloff.agreement_in_force(call=case.call)
    ranked = calloff.candidates(case, agreement) if agreement else []
    proposed = calloff.proposal(ranked)
    form = CallOffForm(
        data,
        initial={"version": case.version},
        case=case,
        ranked=ranked,
        proposed=proposed,
    )
    eligible = [c.consultant for c in ranked if c.eligible]
    form.fields["consultant"].queryset = form.fields["consultant"].queryset.filter(pk__in=eligible)
    form.agreement = agreement
    form.ranked = ranked
    form.proposed = proposed
    form.ledger = reports.ledger(agreement) if agreement else None
    return form


def _call_off_forms(user: User, case: Case) -> Forms:
    """Ranking order or rotation: the call-off form; mini-competition: its stage's forms."""
    agreement = calloff.agreement_in_force(call=case.call)
    if agreement is None:
        return {}
    if agreement.method != FrameworkAgreement.Method.MINI_COMPETITION:
        return {"call_off": call_off_form(case)}
    competition = minicompetition.open_competition(case)
    if competition is None:
        form = CompetitionOpenForm()
        form.agreement = agreement
        return {"competition_open": form}
    if competition.is_sealed():
        return {"competition_waiting": competition}
    tenders = list(competition.tenders.select_related("supplier", "consultant__user"))
    form = AwardForm(initial={"version": case.version}, tenders=tenders)
    form.competition = competition
    form.ranked_tenders = tenders
    return {"award": form}


def _open_offer(user: User, case: Case) -> Offer | None:
    return Offer.objects.filter(
        case=case, status=Offer.Status.OFFERED, consultant=user.consultant
    ).first()


def _answer(user: User, case: Case, data: dict) -> Any:
    offer = Offer.objects.filter(case=case, status=Offer.Status.OFFERED).first()
    if offer is None:
        raise services.StepNotAvailable
    return services.offer_answer(
        actor=user, offer=offer, accept=data["answer"] == "accept", reason=data["reason"]
    )


def _no_day_held(case: Case) -> bool:
    return not case.days_planned.filter(status=SessionDay.Status.HELD).exists()


ACTIONS: dict[str, Action] = {
    action.key: action
    for action in (
        Action(
            "submit",
            VersionedForm,
            perform=lambda user, case, data: services.case_submit(
                actor=user, case=case, version=data.get("version")
            ),
            success=_("The application was submitted. You will get a confirmation by e-mail."),
            offered=lambda user, case, nodes: (
                access.is_applicant(user)
                and (
                    (case.status == states.CaseStatus.DRAFT and case.call.is_open())
                    or "amend" in nodes
                )
            ),
            notifies=("submitted_applicant", "submitted_coordinator", "resubmitted_coordinator"),
        ),
        Action(
            "delete",
            VersionedForm,
            perform=lambda user, case, data: services.case_delete_draft(actor=user, case=case),
            success=_("The draft was deleted."),
            offered=lambda user, case, nodes: (
                access.is_applicant(user) and case.status == states.CaseStatus.DRAFT
            ),
        ),
        Action(
            "decide",
            DecisionForm,
            perform=lambda user, case, data: services.case_decide(
                actor=user,
                case=case,
                decision=data["decision"],
                comment=data["comment"],
                approved_days=data.get("approved_days"),
                version=data.get("version"),
            ),
            success=_("The decision was saved and the applicant informed."),
            offered=lambda user, case, nodes: access.is_coordinator(user) and "review" in nodes,
            build=_decision_forms,
            notifies=("approved", "returned", "rejected"),
            # The service reads the call again under its lock and the process with the
            # step's task: joined to the case, they would cost each of many people who
            # decide at once ~1 ms of Python for nothing (issue 17).
            case_related=(),
        ),
        Action(
            "take",
            VersionedForm,
            perform=lambda user, case, data: services.case_take(
                actor=user, case=case, version=data.get("version")
            ),
            success=_("You took the case."),
            offered=lambda user, case, nodes: (
                access.is_coordinator(user)
                and case.status in states.ASSIGNABLE
                and case.handler_id != user.pk
            ),
        ),
        Action(
            "hand",
            HandForm,
            perform=lambda user, case, data: services.case_hand(
                actor=user,
                case=case,
                to=data["to"],
                note=data.get("note", ""),
                version=data.get("version"),
            ),
            success=_("The case was handed to your colleague, who was told by e-mail."),
            offered=lambda user, case, nodes: (
                access.is_coordinator(user) and case.status in states.ASSIGNABLE
            ),
            build=lambda user, case: {
                "hand": HandForm(initial={"version": case.version}, case=case)
            },
            bind=lambda case, data: HandForm(data, case=case),
            notifies=("case_handed",),
        ),
        Action(
            "release",
            VersionedForm,
            perform=lambda user, case, data: services.case_release(
                actor=user, case=case, version=data.get("version")
            ),
            success=_("Nobody is responsible for the case now; it is back in the queue."),
            offered=lambda user, case, nodes: (
                access.is_coordinator(user)
                and case.status in states.ASSIGNABLE
                and case.handler_id is not None
            ),
        ),
        Action(
            "call_off",
            CallOffForm,
            perform=lambda user, case, data: services.case_call_off(
                actor=user,
                case=case,
                consultant=data["consultant"],
                justification=data["justification"],
                version=data.get("version"),
            ),
            success=_("The case was offered to the consultant."),
            offered=lambda user, case, nodes: access.is_coordinator(user) and "call_off" in nodes,
            build=_call_off_forms,
            bind=lambda case, data: call_off_form(case, data),
            notifies=("offered",),
        ),
        Action(
            "answer",
            OfferAnswerForm,
            perform=_answer,
            success=_("Your answer was saved."),
            offered=lambda user, case, nodes: (
                access.is_consultant(user)
                and "offer" in nodes
                and _open_offer(user, case) is not None
            ),
            build=lambda user, case: {"answer": OfferAnswerForm()},
            notifies=(
                "offer_accepted_coordinator",
                "offer_accepted_applicant",
                "offer_declined_coordinator",
            ),
        ),
        Action(
            "confirm",
            ConfirmDatesForm,
            perform=lambda user, case, data: services.schedule_confirm(
                actor=user,
                case=case,
                accept=data["answer"] == "confirm",
                comment=data["comment"],
                version=data.get("version"),
            ),
            success=_("Your answer on the dates was saved."),
            offered=lambda user, case, nodes: access.is_applicant(user) and "confirm" in nodes,
            notifies=("dates_confirmed", "dates_declined"),
        ),
        Action(
            "close",
            CloseForm,
            perform=lambda user, case, data: services.case_close(
                actor=user, case=case, comment=data["comment"], version=data.get("version")
            ),
            success=_("The case was closed."),
            offered=lambda user, case, nodes: access.is_coordinator(user) and "close" in nodes,
            notifies=("closed",),
        ),
        Action(
            "withdraw",
            StopForm,
            perform=lambda user, case, data: services.case_withdraw(
                actor=user, case=case, reason=data["reason"], version=data.get("version")
            ),
            success=_("The application was withdrawn."),
            offered=lambda user, case, nodes: (
                access.is_applicant(user) and case.status in states.OPEN and _no_day_held(case)
            ),
            notifies=("withdrawn",),
        ),
        Action(
            "cancel",
            StopForm,
            perform=lambda user, case, data: services.case_cancel(
                actor=user, case=case, reason=data["reason"], version=data.get("version")
            ),
            success=_("The case was cancelled."),
            offered=lambda user, case, nodes: (
                access.is_coordinator(user) and case.status in states.OPEN
            ),
            notifies=("cancelled",),
        ),
    )
}


def offered_forms(user: User, case: Case, open_nodes: list[str]) -> Forms:
    """Every form the case page shows ``user`` now, keyed as the template expects."""
    forms: Forms = {}
    for action in ACTIONS.values():
        if action.offered(user, case, open_nodes):
            forms.update(action.forms_for(user, case))
    return forms


def perform(key: str, user: User, case: Case, data: dict) -> Any:
    """Take action ``key`` on ``case`` as ``user`` with validated form ``data``.

    Raises:
        KeyError: no such action.
        PermissionDenied, ValidationError, CaseError: from the service.
    """
    return ACTIONS[key].perform(user, case, data)


def waiting(open_nodes: list[str]) -> list[tuple[str, str, Promise]]:
    """``(node, actor, text)`` for each open step, in the order of the flow."""
    return [(node, STEPS[node].actor, STEPS[node].waiting) for node in STEPS if node in open_nodes]
