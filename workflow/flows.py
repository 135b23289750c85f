"""SparringFlow: one sparring case from the submitted application to the closed case.

The flow holds the order of the steps, who acts at each and the deadlines;
the case record (``sparring.Case``) holds the business data. Steps that people
take are ``Handle`` nodes completed by the services in ``sparring.cases.services``
and ``sparring.reports.services``
(which check permissions, validate and write the audit trail); deadlines are
database timers fired by the beat sweep.
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from procurement.models import Offer
from sparring.cases import deadlines
from sparring.cases import services as case_services
from sparring.cases.states import CaseStatus
from sparring.models import SessionDay
from sparring.reports import rendering
from sparring.reports import services as report_services
from sparring.surveys.models import Survey

from .lock import flow_lock
from .models import CaseProcess
from .nodes import CeleryJob


class SparringFlow(flow.Flow):
    """Sparring case

    From the submitted application through review, call-off, scheduling,
    delivery, report and feedback to the closed case.
    """

    process_class = CaseProcess
    lock_impl = flow_lock

    start = (
        flow.StartHandle(this.start_case)
        .Annotation(title=_("Application submitted"))
        .Next(this.review)
    )
    review = (
        flow.Handle(this.take_step)
        .Annotation(title=_("Review by a coordinator"))
        .OnTimeout(
            this.review_reminder_at,
            this.remind_review,
            interrupting=False,
            title=_("Review reminder"),
        )
        .Next(this.review_outcome)
    )
    remind_review = (
        flow.Function(this.send_review_reminder)
        .Annotation(title=_("Remind the coordinators"))
        .Next(this.reminder_sent)
    )
    review_outcome = (
        flow.Switch()
        .Annotation(title=_("Decision?"))
        .Case(this.call_off, this.is_approved)
        .Case(this.amend, this.is_returned)
        .Default(this.rejected)
    )
    amend = (
        flow.Handle(this.take_step)
        .Annotation(title=_("Amendment by the applicant"))
        .Next(this.review)
    )
    rejected = flow.End().Annotation(title=_("Rejected"))

    call_off = (
        flow.Handle(this.take_step).Annotation(title=_("Call-off of a consultant")).Next(this.offer)
    )
    offer = (
        flow.Handle(this.take_step)
        .Annotation(title=_("Consultant answers the offer"))
        .OnTimeout(this.offer_deadline, this.expire_offer, title=_("Offer expires"))
        .Next(this.offer_outcome)
    )
    expire_offer = (
        flow.Function(this.mark_offer_expired)
        .Annotation(title=_("The offer expires"))
        .Next(this.call_off)
    )
    offer_outcome = (
        flow.Switch()
        .Annotation(title=_("Accepted?"))
        .Case(this.schedule, this.is_offer_accepted)
        .Default(this.call_off)
    )

    schedule = (
        flow.Handle(this.take_step)
        .Annotation(title=_("Consultant proposes dates"))
        .Next(this.confirm)
    )
    confirm = (
        flow.Handle(this.take_step)
        .Annotation(title=_("Applicant confirms the dates"))
        .Next(this.confirm_outcome)
    )
    confirm_outcome = (
        flow.Switch()
        .Annotation(title=_("Dates confirmed?"))
        .Case(this.deliver, this.are_dates_confirmed)
        .Default(this.schedule)
    )
    deliver = (
        flow.Handle(this.take_step).Annotation(title=_("Sparring days held")).Next(this.report)
    )
    report = (
        flow.Handle(this.take_step)
        .Annotation(title=_("Consultant files the report"))
        .OnTimeout(
            this.report_reminder_at,
            this.remind_report,
            interrupting=False,
            title=_("Report reminder"),
        )
        .Next(this.render_report)
    )
    render_report = (
        CeleryJob(this.render_report_pdf)
        .Annotation(title=_("The report PDF is made"))
        .Next(this.feedback)
    )
    remind_report = (
        flow.Function(this.send_report_reminder)
        .Annotation(title=_("Remind the consultant"))
        .Next(this.reminder_sent)
    )
    feedback = (
        flow.Timer(this.feedback_closes_at)
        .Annotation(title=_("Feedback period"))
        .Next(this.feedback_over)
    )
    feedback_over = (
        flow.Function(this.end_feedback)
        .Annotation(title=_("Feedback period over"))
        .Next(this.close)
    )
    close = (
        flow.Handle(this.take_step)
        .Annotation(title=_("Closing by a coordinator"))
        .Next(this.closed)
    )
    closed = flow.End().Annotation(title=_("Closed"))
    reminder_sent = flow.End().Annotation(title=_("Reminder sent"))

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

    def review_reminder_at(self, activation):
        return deadlines.review_reminder_at()  # from when the review (or re-review) starts

    def offer_deadline(self, activation):
        """The open offer's own deadline (set by the call-off service from the same rule)."""
        offer = Offer.objects.filter(
            case=activation.process.case, status=Offer.Status.OFFERED
        ).first()
        return offer.deadline if offer is not None else deadlines.offer_deadline()

    def report_reminder_at(self, activation):
        case = activation.process.case
        last_day = case.days_planned.filter(status=SessionDay.Status.HELD).order_by("-date").first()
        return deadlines.report_reminder_at(last_day.date if last_day else None)

    def feedback_closes_at(self, activation):
        survey = Survey.objects.filter(case=activation.process.case).first()
        return survey.closes_at if survey is not None else deadlines.feedback_closes_at()

    # -- what the timers and the job do ---------------------------------------

    def send_review_reminder(self, activation):
        case_services.case_review_reminder(case=activation.process.case)

    def mark_offer_expired(self, activation):
        case_services.offer_expire(case=activation.process.case)

    def end_feedback(self, activation):
        case_services.feedback_end(case=activation.process.case)

    def render_report_pdf(self, activation):
        """Runs in a Celery worker: render the report as PDF, one per report revision
        whatever the number of runs (redelivery, retry, revival)."""
        case = activation.process.case
        rendering.report_render(case_id=case.pk, source=rendering.report_source(case.report))

    def send_report_reminder(self, activation):
        report_services.report_reminder(case=activation.process.case)
