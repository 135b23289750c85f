"""SparringFlow: one sparring case from the submitted application to the closed case.

The flow holds the order of the steps, who acts at each and the deadlines;
the case record (``sparring.Case``) holds the business data. Steps that people
take are ``Handle`` nodes completed by the services in ``sparring.services``
(which check permissions, validate and write the audit trail); deadlines are
database timers fired by the beat sweep.
"""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from sparring.workdays import add_working_days

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
        flow.Handle()
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
    amend = flow.Handle().Annotation(title=_("Amendment by the applicant")).Next(this.review)
    rejected = flow.End().Annotation(title=_("Rejected"))

    call_off = flow.Handle().Annotation(title=_("Call-off of a consultant")).Next(this.offer)
    offer = (
        flow.Handle()
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

    schedule = flow.Handle().Annotation(title=_("Consultant proposes dates")).Next(this.confirm)
    confirm = (
        flow.Handle().Annotation(title=_("Applicant confirms the dates")).Next(this.confirm_outcome)
    )
    confirm_outcome = (
        flow.Switch()
        .Annotation(title=_("Dates confirmed?"))
        .Case(this.deliver, this.are_dates_confirmed)
        .Default(this.schedule)
    )
    deliver = flow.Handle().Annotation(title=_("Sparring days held")).Next(this.report)
    report = (
        flow.Handle()
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
    close = flow.Handle().Annotation(title=_("Closing by a coordinator")).Next(this.closed)
    closed = flow.End().Annotation(title=_("Closed"))
    reminder_sent = flow.End().Annotation(title=_("Reminder sent"))

    # -- the start ---------------------------------------------------------------

    def start_case(self, activation, case):
        """Link the new process and the case (the submit service does the rest)."""
        activation.process.save()
        case.process = activation.process
        case.save(update_fields=["process"])
        return activation.process

    # -- conditions --------------------------------------------------------------

    def is_approved(self, activation) -> bool:
        return activation.process.case.status == "approved"

    def is_returned(self, activation) -> bool:
        return activation.process.case.status == "returned"

    def is_offer_accepted(self, activation) -> bool:
        return activation.process.case.status == "scheduling"

    def are_dates_confirmed(self, activation) -> bool:
        return activation.process.case.status == "delivery"

    # -- deadlines ---------------------------------------------------------------

    def review_reminder_at(self, activation):
        return add_working_days(timezone.now(), settings.SPARRING_REVIEW_REMINDER_WORKING_DAYS)

    def offer_deadline(self, activation):
        from procurement.models import Offer

        offer = Offer.objects.filter(
            case=activation.process.case, status=Offer.Status.OFFERED
        ).first()
        if offer is not None:
            return offer.deadline
        return add_working_days(timezone.now(), settings.SPARRING_OFFER_EXPIRY_WORKING_DAYS)

    def report_reminder_at(self, activation):
        from datetime import datetime, time, timedelta

        case = activation.process.case
        last_day = case.days_planned.filter(status="held").order_by("-date").first()
        base = last_day.date if last_day else timezone.localdate()
        due = base + timedelta(days=settings.SPARRING_REPORT_REMINDER_DAYS)
        return timezone.make_aware(datetime.combine(due, time(9, 0)))

    def feedback_closes_at(self, activation):
        from datetime import timedelta

        return timezone.now() + timedelta(days=settings.SPARRING_FEEDBACK_DAYS)

    # -- what the timers do ------------------------------------------------------

    def send_review_reminder(self, activation):
        from sparring import services

        services.case_review_reminder(case=activation.process.case)

    def mark_offer_expired(self, activation):
        from sparring import services

        services.offer_expire(case=activation.process.case)

    def end_feedback(self, activation):
        from sparring import services

        services.feedback_end(case=activation.process.case)

    def render_report_pdf(self, activation):
        """Runs in a Celery worker: render the report as PDF (idempotent per flow task)."""
        from sparring import services

        services.report_render(
            case_id=activation.process.case.pk, source=f"task:{activation.task.pk}"
        )

    def send_report_reminder(self, activation):
        from sparring import services

        services.report_reminder(case=activation.process.case)
