"""Reads with more than a trivial query."""

from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from procurement.models import Consultant, Supplier
from sparring import clock
from sparring.models import Call, Case, Organisation

from . import states
from .steps import STEPS


def programme_overview() -> dict[str, Any]:
    """Counts of the programme's records, in one query per table, never stored."""
    suppliers = Supplier.objects.aggregate(
        suppliers=Count("pk", filter=Q(active=True)),
    )
    consultants = Consultant.objects.aggregate(
        consultants=Count("pk", filter=Q(active=True, supplier__active=True)),
    )
    organisations = Organisation.objects.aggregate(organisations=Count("pk"))
    return {**organisations, **suppliers, **consultants}


# ------------------------------------------------------------------------------
# Cases
# ------------------------------------------------------------------------------


def case_list(queryset):
    """Everything a list row shows, in one query."""
    return queryset.select_related(
        "organisation",
        "call",
        "sector",
        "theme",
        "consultant__user",
        "consultant__supplier",
        "handler",
    ).order_by("-created", "-pk")


def case_page(queryset, pk: int) -> Case:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        queryset.select_related(
            "organisation",
            "call",
            "sector",
            "theme",
            "consultant__user",
            "consultant__supplier",
            "created_by",
            "handler",
            "process",
        ),
        pk=pk,
    )


def open_steps(case: Case) -> list[str]:
    """Names of the open flow nodes that wait for someone (``steps.STEPS``; reminders left out)."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    if case.process_id is None:
        return []
    tasks = Task.objects.filter(
        process_id=case.process_id,
        # ERROR: a background job failed and waits for a retry; the case has not ended.
        status__in=[STATUS.NEW, STATUS.SCHEDULED, STATUS.STARTED, STATUS.ERROR],
    ).only("flow_task")
    return [t.flow_task.name for t in tasks if t.flow_task.name in STEPS]


def case_timeline(case: Case):
    return case.events.select_related("actor").order_by("created", "pk")


def call_offers(case: Case):
    from procurement.models import Offer

    return Offer.objects.filter(case=case).select_related(
        "consultant__user", "consultant__supplier"
    )


def call_off_records(case: Case):
    from procurement.models import CallOff

    return CallOff.objects.filter(case=case).select_related(
        "chosen__user", "proposed__user", "decided_by", "agreement"
    )


def open_calls():

    now = clock.now()
    return Call.objects.filter(opens_at__lte=now, closes_at__gt=now).order_by("closes_at")


EVENT_LABELS = {
    "case_draft_saved": _("Draft saved"),
    "case_edited": _("Application edited"),
    "case_submitted": _("Application submitted"),
    "case_resubmitted": _("Amended application submitted"),
    "case_approved": _("Approved"),
    "case_returned": _("Returned for amendment"),
    "case_rejected": _("Rejected"),
    "case_taken": _("Taken by a coordinator"),
    "review_reminder_sent": _("Review reminder sent"),
    "case_offered": _("Offered to a consultant"),
    "offer_accepted": _("Offer accepted"),
    "offer_declined": _("Offer declined"),
    "offer_expired": _("Offer expired"),
    "dates_proposed": _("Dates proposed"),
    "dates_declined": _("Other dates asked for"),
    "dates_confirmed": _("Dates confirmed"),
    "day_held": _("Day held"),
    "day_rescheduled": _("Day moved"),
    "day_cancelled": _("Day cancelled"),
    "day_added": _("Day added"),
    "report_submitted": _("Report filed"),
    "report_pdf_made": _("Report PDF made"),
    "report_draft_saved": _("Report draft saved"),
    "report_returned": _("Report returned for correction"),
    "report_corrected": _("Corrected report filed"),
    "report_reminder_sent": _("Report reminder sent"),
    "feedback_ended": _("Feedback period ended"),
    "case_closed": _("Case closed"),
    "case_withdrawn": _("Withdrawn by the applicant"),
    "case_cancelled": _("Cancelled by a coordinator"),
    "attachment_added": _("File added"),
    "attachment_removed": _("File removed"),
}


# Whose names and reasons only coordinators read: other consultants' offers and declines.
COORDINATOR_ONLY_COMMENTS = {"case_offered", "case_taken"}
COORDINATOR_ONLY_EVENTS = {"offer_declined", "offer_expired"}


def labelled_timeline(case: Case, *, full: bool) -> list:
    """The case's events with labels; without ``full``, offer details are left out."""
    events = list(case_timeline(case))
    if not full:
        events = [e for e in events if e.action not in COORDINATOR_ONLY_EVENTS]
    for event in events:
        event.label = EVENT_LABELS.get(event.action, event.action)
        if not full and event.action in COORDINATOR_ONLY_COMMENTS:
            event.comment = ""
    return events


def coordinator_inbox(user):
    """Cases waiting for a coordinator that this coordinator has taken."""
    return case_list(Case.objects.filter(status__in=states.WAITING_FOR_COORDINATOR, handler=user))


def coordinator_queue():
    """Cases waiting for a coordinator that nobody has taken yet."""
    return case_list(
        Case.objects.filter(status__in=states.WAITING_FOR_COORDINATOR, handler__isnull=True)
    )


def consultant_offers(consultant):
    from procurement.models import Offer

    return (
        Offer.objects.filter(consultant=consultant, status=Offer.Status.OFFERED)
        .select_related("case__organisation", "case__theme", "case__sector", "case__call")
        .order_by("deadline")
    )


def consultant_assignments(consultant):
    return case_list(Case.objects.filter(consultant=consultant).filter(status__in=states.NOT_FINAL))


def consultant_invitations(consultant):
    """Open mini-competitions to which the consultant's supplier is invited."""

    from procurement.models import MiniCompetition

    return (
        MiniCompetition.objects.filter(
            status=MiniCompetition.Status.OPEN,
            invited=consultant.supplier,
            deadline__gt=clock.now(),
        )
        .select_related("case__organisation", "case__theme")
        .order_by("deadline")
    )


def visible_case(request, pk: int) -> Case:
    """The case ``pk`` if the request's user may see it (404 otherwise), with its page's joins."""
    from sparring import access

    return case_page(access.visible_cases(request.user), pk)
