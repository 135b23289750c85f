"""SparringFlow: one sparring case from the submitted application to the closed case.

The flow holds the order of the steps, who acts at each and the deadlines;
the case record (``sparring.Case``) holds the business data. Steps that people
take are ``Handle`` nodes completed by the services in ``sparring.cases.services``
and ``sparring.reports.services``
(which check permissions, validate and write the audit trail); deadlines are
database timers fired by the beat sweep.
"""

from datetime import UTC, datetime

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from procurement.models import Offer
from sparring.cases import deadlines
from sparring.cases import services as case_services
from sparring.cases.services import deadlines as deadline_services
from sparring.cases.states import CaseStatus
from sparring.cases.steps import STEPS
from sparring.models import StepDeadline
from sparring.reports import rendering
from sparring.surveys.models import Survey

from .lock import flow_lock
from .models import CaseProcess
from .nodes import CaseEnd, CaseFunction, CaseStart, CaseStep, CaseSwitch, CaseTimer, CeleryJob

# A timer of a rule without that notice (e.g. no escalation configured) never fires.
NEVER = datetime(9999, 1, 1, tzinfo=UTC)


class SparringFlow(flow.Flow):
    """Sparring case

    From the submitted application through review, call-off, scheduling,
    delivery, report and feedback to the closed case.
    """

    process_class = CaseProcess
    lock_impl = flow_lock

    start = (
        CaseStart(this.start_case).Annotation(title=_("Application submitted")).Next(this.review)
    )
    review = (
        CaseStep(this.take_step)
        .Annotation(title=_("Review by a coordinator"))
        .OnTimeout(
            this.reminder_at,
            this.remind_review,
            interrupting=False,
            title=_("Review reminder"),
        )
        .OnTimeout(this.second_reminder_at, this.remind_again, False, _("Second reminder"))
        .OnTimeout(this.escalation_at, this.escalate, False, _("Coordinators told"))
        .Next(this.review_outcome)
    )
    remind_review = (
        CaseFunction(this.send_reminder)
        .Annotation(title=_("Remind the coordinators"))
        .Next(this.reminder_sent)
    )
    # The deadline timers of every waiting step (issue 14): each step with a deadline rule in
    # sparring/cases/steps.py has a reminder, a second reminder and an escalation, attached
    # to its task (non-interrupting: cancelled when the step is done).
    remind = (
        CaseFunction(this.send_reminder)
        .Annotation(title=_("Remind who must act"))
        .Next(this.reminder_sent)
    )
    remind_again = (
        CaseFunction(this.send_second_reminder)
        .Annotation(title=_("Remind again"))
        .Next(this.reminder_sent)
    )
    escalate = (
        CaseFunction(this.send_escalation)
        .Annotation(title=_("Tell the coordinators"))
        .Next(this.reminder_sent)
    )
    review_outcome = (
        CaseSwitch()
        .Annotation(title=_("Decision?"))
        .Case(this.call_off, this.is_approved)
        .Case(this.amend, this.is_returned)
        .Default(this.rejected)
    )
    amend = (
        CaseStep(this.take_step)
        .Annotation(title=_("Amendment by the applicant"))
        .OnTimeout(this.reminder_at, this.remind, False, _("Reminder"))
        .OnTimeout(this.second_reminder_at, this.remind_again, False, _("Second reminder"))
        .OnTimeout(this.escalation_at, this.escalate, False, _("Coordinators told"))
        .Next(this.review)
    )
    rejected = CaseEnd().Annotation(title=_("Rejected"))

    call_off = (
        CaseStep(this.take_step)
        .Annotation(title=_("Call-off of a consultant"))
        .OnTimeout(this.reminder_at, this.remind, False, _("Reminder"))
        .OnTimeout(this.second_reminder_at, this.remind_again, False, _("Second reminder"))
        .OnTimeout(this.escalation_at, this.escalate, False, _("Coordinators told"))
        .Next(this.offer)
    )
    offer = (
        CaseStep(this.take_step)
        .Annotation(title=_("Consultant answers the offer"))
        .OnTimeout(this.offer_deadline, this.expire_offer, title=_("Offer expires"))
        .OnTimeout(this.reminder_at, this.remind, False, _("Reminder"))
        .OnTimeout(this.second_reminder_at, this.remind_again, False, _("Second reminder"))
        .Next(this.offer_outcome)
    )
    expire_offer = (
        CaseFunction(this.mark_offer_expired)
        .Annotation(title=_("The offer expires"))
        .Next(this.call_off)
    )
    offer_outcome = (
        CaseSwitch()
        .Annotation(title=_("Accepted?"))
        .Case(this.schedule, this.is_offer_accepted)
        .Default(this.call_off)
    )

    schedule = (
        CaseStep(this.take_step)
        .Annotation(title=_("Consultant proposes dates"))
        .OnTimeout(this.reminder_at, this.remind, False, _("Reminder"))
        .OnTimeout(this.second_reminder_at, this.remind_again, False, _("Second reminder"))
        .OnTimeout(this.escalation_at, this.escalate, False, _("Coordinators told"))
        .Next(this.confirm)
    )
    confirm = (
        CaseStep(this.take_step)
        .Annotation(title=_("Applicant confirms the dates"))
        .OnTimeout(this.reminder_at, this.remind, False, _("Reminder"))
        .OnTimeout(this.second_reminder_at, this.remind_again, False, _("Second reminder"))
        .OnTimeout(this.escalation_at, this.escalate, False, _("Coordinators told"))
        .Next(this.confirm_outcome)
    )
    confirm_outcome = (
        CaseSwitch()
        .Annotation(title=_("Dates confirmed?"))
        .Case(this.deliver, this.are_dates_confirmed)
        .Default(this.schedule)
    )
    deliver = (
        CaseStep(this.take_step)
        .Annotation(title=_("Sparring days held"))
        .OnTimeout(this.reminder_at, this.remind, False, _("Reminder"))
        .OnTimeout(this.second_reminder_at, this.remind_again, False, _("Second reminder"))
        .OnTimeout(this.escalation_at, this.escalate, False, _("Coordinators told"))
        .Next(this.report)
    )
    report = (
        CaseStep(this.take_step)
        .Annotation(title=_("Consultant files the report"))
        .OnTimeout(
            this.reminder_at,
            this.remind_report,
            interrupting=False,
            title=_("Report reminder"),
        )
        .OnTimeout(this.second_reminder_at, this.remind_again, False, _("Second reminder"))
        .OnTimeout(this.escalation_at, this.escalate, False, _("Coordinators told"))
        .Next(this.render_report)
    )
    render_report = (
        CeleryJob(this.render_report_pdf)
        .Annotation(title=_("The report PDF is made"))
        .Next(this.feedback)
    )
    remind_report = (
        CaseFunction(this.send_reminder)
        .Annotation(title=_("Remind the consultant"))
        .Next(this.reminder_sent)
    )
    feedback = (
        CaseTimer(this.feedback_closes_at)
        .Annotation(title=_("Feedback period"))
        .Next(this.feedback_over)
    )
    feedback_over = (
        CaseFunction(this.end_feedback).Annotation(title=_("Feedback period over")).Next(this.close)
    )
    close = (
        CaseStep(this.take_step)
        .Annotation(title=_("Closing by a coordinator"))
        .OnTimeout(this.reminder_at, this.remind, False, _("Reminder"))
        .OnTimeout(this.second_reminder_at, this.remind_again, False, _("Second reminder"))
        .OnTimeout(this.escalation_at, this.escalate, False, _("Coordinators told"))
        .Next(this.closed)
    )
    closed = CaseEnd().Annotation(title=_("Closed"))
    reminder_sent = CaseEnd().Annotation(title=_("Reminder sent"))

    # -- the start ---------------------------------------------------------------

    def start_case(self, activation, case):
        """Link the new process and the case (the submit service does the rest)."""
        activation.process.save()
        case.process = activation.process
        case.save(update_fields=["process"])
        return activation.process

    def take_step(self, activation, work):
        """Every Handle's function: the service's change, done under the flow lock.

        The services (``sparring.cases.transitions.step_run``) complete a step
        through the node's own ``run``, which locks the process, starts the task,
        calls this with the service's ``work`` and then completes the task.
        """
        return work()

    # -- conditions: the case's status decides (sparring.cases.states) ----------

    def is_approved(self, activation) -> bool:
        return activation.process.case.status == CaseStatus.APPROVED

    def is_returned(self, activation) -> bool:
        return activation.process.case.status == CaseStatus.RETURNED

    def is_offer_accepted(self, activation) -> bool:
        return activation.process.case.status == CaseStatus.SCHEDULING

    def are_dates_confirmed(self, activation) -> bool:
        return activation.process.case.status == CaseStatus.DELIVERY

    # -- deadlines: computed in sparring.cases.deadlines, one function each ----

    def _step_deadline(self, activation) -> StepDeadline:
        """The waiting step's deadline; made by its first timer (the activation is a timer's,
        attached to the step's task)."""
        host = getattr(activation.task, "_host_task", None)  # set by DeadlineTimer._arm
        fresh = host is not None
        if host is None:
            host = activation.task.previous.get()
        deadline = getattr(host, "_step_deadline", None)
        if deadline is None:
            step = STEPS[host.flow_task.name]
            deadline = deadline_services.step_deadline_open(
                case=activation.process.case,
                task=host,
                step=step.node,
                due_at=step.deadline,
                new_task=fresh,
            )
            host._step_deadline = deadline  # the step's other timers use it too
        return deadline

    def reminder_at(self, activation):
        """The first reminder: when the step falls due, or earlier for a step that expires
        at its due date (its rule in ``cases.steps`` and ``SPARRING_STEP_DEADLINES``)."""
        deadline = self._step_deadline(activation)
        return deadlines.first_reminder_at(deadline.step, deadline.since, deadline.due)

    def second_reminder_at(self, activation):
        deadline = self._step_deadline(activation)
        return deadlines.second_reminder_at(deadline.step, deadline.due, deadline.since) or NEVER

    def escalation_at(self, activation):
        deadline = self._step_deadline(activation)
        return deadlines.escalation_at(deadline.step, deadline.due) or NEVER

    def offer_deadline(self, activation):
        """The open offer's own deadline (set by the call-off service from the same rule);
        the rule's while the case is not offered yet (the call-off makes the offer after
        the flow's bookkeeping: no offer to read, issue 17)."""
        case = activation.process.case
        if case.status != CaseStatus.OFFERED:
            return deadlines.offer_deadline()
        offer = Offer.objects.filter(case=case, status=Offer.Status.OFFERED).first()
        return offer.deadline if offer is not None else deadlines.offer_deadline()

    def feedback_closes_at(self, activation):
        """When the survey closes (its ``closes_at`` is set when it opens and never moves)."""
        process = activation.process
        if type(process).case.is_cached(process):
            # the report's job read the case with its survey (render_report_pdf): no query
            survey = getattr(process.case, "survey", None)  # None: the case has none
        else:  # by the process: the case is not loaded for it (one query, issue 17)
            survey = Survey.objects.filter(case__process_id=process.pk).first()
        return survey.closes_at if survey is not None else deadlines.feedback_closes_at()

    # -- what the timers and the job do ---------------------------------------

    def _notice(self, activation, kind: str) -> None:
        """A deadline timer fired (this function's task follows it; it follows the step's task)."""
        timer = getattr(activation.task, "written_after", None)  # CaseFunction: no row yet
        host = (timer or activation.task.previous.get()).previous.get()
        deadline = StepDeadline.objects.filter(task=host).first()
        if deadline is None:
            return
        step = STEPS[deadline.step]
        deadline_services.step_deadline_notice(
            deadline=deadline, kind=kind, actor=step.actor, waiting=step.waiting
        )

    def send_reminder(self, activation):
        self._notice(activation, deadline_services.REMINDER)

    def send_second_reminder(self, activation):
        self._notice(activation, deadline_services.SECOND_REMINDER)

    def send_escalation(self, activation):
        self._notice(activation, deadline_services.ESCALATION)

    def mark_offer_expired(self, activation):
        case_services.offer_expire(case=activation.process.case)

    def end_feedback(self, activation):
        case_services.feedback_end(case=activation.process.case)

    def render_report_pdf(self, activation):
        """Runs in a Celery worker: render the report as PDF, one per report revision
        whatever the number of runs (redelivery, retry, revival)."""
        # one query: the case with its report (which names the source), read once (issue 17)
        case = rendering.rendered_case(process_id=activation.process.pk)
        # kept on the process: the feedback timer after this job reads the case's survey
        # from it (feedback_closes_at; workflow.services.job_run completes the job with the
        # same process)
        activation.process.case = case
        rendering.report_render(
            case_id=case.pk, source=rendering.report_source(case.report), case=case
        )


DEADLINE_NOTICES = ("remind_review", "remind", "remind_again", "remind_report", "escalate")


def is_deadline_timer(node) -> bool:
    """Whether a flow node is a deadline timer of a waiting step (reminder, second
    reminder, escalation), as opposed to a step or a timer that moves the case on."""
    target = getattr(node, "_next", None)
    return (
        getattr(node, "_attached_to", None) is not None
        and getattr(target, "name", None) in DEADLINE_NOTICES
    )
