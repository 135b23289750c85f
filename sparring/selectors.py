"""Reads with more than a trivial query."""

from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from procurement.models import Consultant, Supplier

from .models import Call, Case, Organisation


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

STEP_ACTORS = {
    # open flow task -> (who must act, what they do)
    "review": ("coordinator", _("A coordinator reviews the application.")),
    "amend": ("applicant", _("The applicant amends the application and submits it again.")),
    "call_off": ("coordinator", _("A coordinator calls off a consultant.")),
    "offer": ("consultant", _("The consultant accepts or declines the offer.")),
    "schedule": ("consultant", _("The consultant proposes the dates.")),
    "confirm": ("applicant", _("The applicant confirms the proposed dates.")),
    "deliver": ("consultant", _("The sparring days are held; the consultant records each day.")),
    "report": ("consultant", _("The consultant files the report.")),
    "feedback": (
        "participants",
        _("The participants give feedback until the feedback period ends."),
    ),
    "close": ("coordinator", _("A coordinator closes the case.")),
}


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
    """Names of the flow steps waiting for someone (timers and reminders left out)."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    if case.process_id is None:
        return []
    tasks = Task.objects.filter(
        process_id=case.process_id, status__in=[STATUS.NEW, STATUS.SCHEDULED, STATUS.STARTED]
    ).only("flow_task")
    return [t.flow_task.name for t in tasks if t.flow_task.name in STEP_ACTORS]


def case_timeline(case: Case):
    return case.events.select_related("actor").order_by("created", "pk")


def call_offers(case: Case):
    from procurement.models import Offer

    return Offer.objects.filter(case=case).select_related(
        "consultant__user", "consultant__supplier"
    )


def open_calls():
    from django.utils import timezone

    now = timezone.now()
    return Call.objects.filter(opens_at__lte=now, closes_at__gt=now).order_by("closes_at")
