"""The consultant's report: drafts, filing (the PDF is made), returns and corrections."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from sparring import access, clock
from sparring.audit import audit_event, audit_record
from sparring.background import dispatch
from sparring.cases import states
from sparring.cases.transitions import (
    StepNotAvailable,
    case_move,
    remind_while,
    require,
    step_run,
)
from sparring.models import Case, SessionDay
from sparring.notifications import consultant_of, notify
from sparring.surveys import services as survey_services

from .models import Report, report_text_errors
from .rendering import RENDER_REPORT_REVISION, report_source

REPORT_FIELDS = (
    "participants",
    "refined_goal",
    "implementation",
    "themes_covered",
    "results",
    "follow_up",
)


def held_participants(case: Case) -> int:
    return (
        case.days_planned.filter(status=SessionDay.Status.HELD).aggregate(n=Sum("participants"))[
            "n"
        ]
        or 0
    )


def _report_for(case: Case) -> Report:
    return Report.objects.filter(case=case).first() or Report(case=case)


def _can_edit_report(case: Case, report: Report) -> bool:
    """First filing: while the report step is open. Later: when a coordinator returned it."""
    if case.status == Case.Status.REPORTING:
        return True
    return (
        report.pk is not None
        and report.status == Report.Status.RETURNED
        and case.status in states.REPORT_CORRECTABLE
    )


@transaction.atomic
def report_save_draft(*, actor, case: Case, data: dict) -> Report:
    """Save the report unfinished; nothing is sent and the case does not move."""
    require(access.is_case_consultant(actor, case))
    case = Case.objects.select_for_update().get(pk=case.pk)
    report = _report_for(case)
    if not _can_edit_report(case, report):
        raise StepNotAvailable
    too_long = report_text_errors(data)
    if too_long:
        raise ValidationError(too_long)
    for field in REPORT_FIELDS:
        setattr(
            report, field, data.get(field) if field == "participants" else (data.get(field) or "")
        )
    if report.status != Report.Status.RETURNED:
        report.status = Report.Status.DRAFT
    report.full_clean()
    report.save()
    audit_record(actor=actor, action="report_draft_saved", subject=case, case=case)
    return report


def _validate_report(case: Case, data: dict) -> None:
    errors = report_text_errors(data)
    for field in REPORT_FIELDS:
        if field != "participants" and not (data.get(field) or "").strip():
            errors[field] = _("Fill in this part of the report.")
    recorded = held_participants(case)
    if data.get("participants") != recorded:
        errors["participants"] = _(
            "The recorded days had %(recorded)s participants in all; give the same number "
            "here, or correct the days first."
        ) % {"recorded": recorded}
    if errors:
        raise ValidationError(errors)


def report_submit(*, actor, case: Case, data: dict, version: int) -> Report:
    """The consultant files the report (its PDF is made); the first filing starts the feedback period."""
    require(access.is_case_consultant(actor, case))
    _validate_report(case, data)
    # A returned report is corrected only in a status after the first filing
    # (states.REPORT_CORRECTABLE; REPORTING leads only to FEEDBACK): at REPORTING there
    # is nothing to read before the lock (issue 17). ``case`` is the one the action view
    # read for this request.
    if case.status != Case.Status.REPORTING:
        report = _report_for(case)
        if report.status == Report.Status.RETURNED:
            return _report_resubmit(actor=actor, case=case, data=data)

    def work():
        case_move(
            case,
            source=[Case.Status.REPORTING],
            version=version,
            target=Case.Status.FEEDBACK,
            audit=audit_event(actor=actor, action="report_submitted", subject=case, case=case),
        )
        filed = Report(
            case=case,
            status=Report.Status.SUBMITTED,
            revision=1,
            submitted_at=clock.now(),
            submitted_by=actor,
            **{field: data[field] for field in REPORT_FIELDS},
        )
        # the case (locked by case_move) and the actor exist, and the report is the
        # case's own: no look-up of either, no uniqueness query (issue 17)
        filed.full_clean(exclude=["case", "submitted_by"])
        report_file(filed)
        survey_services.survey_open(case=case, read=False)  # not used here (issue 17)
        return filed

    return step_run(case, "report", work)


#: What the first filing writes over a draft (its other column, the correction comment,
#: is empty until a coordinator returns a filed report).
FILED_FIELDS = (*REPORT_FIELDS, "status", "revision", "submitted_at", "submitted_by")


def report_file(filed: Report) -> None:
    """Write the first filing ``filed`` (unsaved, validated) as the case's report: a new
    row, or over the draft the consultant saved, in one ``INSERT … ON CONFLICT (case)
    DO UPDATE`` of ``FILED_FIELDS`` (issue 17: the draft was read, then saved whole;
    ``tests/unit/reports/test_report_filing.py`` compares the two). Sets ``filed.pk``.
    Call under the case's lock (``case_move``), as the filing does.
    """
    Report.objects.bulk_create(
        [filed], update_conflicts=True, unique_fields=["case"], update_fields=list(FILED_FIELDS)
    )


@transaction.atomic
def _report_resubmit(*, actor, case: Case, data: dict) -> Report:
    case = Case.objects.select_for_update().get(pk=case.pk)
    report = Report.objects.select_for_update().get(case=case)
    if not _can_edit_report(case, report):
        raise StepNotAvailable
    for field in REPORT_FIELDS:
        setattr(report, field, data[field])
    report.status = Report.Status.SUBMITTED
    report.revision += 1
    report.submitted_at = clock.now()
    report.submitted_by = actor
    report.full_clean()
    report.save()
    audit_record(
        actor=actor,
        action="report_corrected",
        subject=case,
        case=case,
        data={"revision": report.revision},
    )
    source = report_source(report)
    transaction.on_commit(lambda: dispatch(RENDER_REPORT_REVISION, args=[case.pk, source]))
    return report


@transaction.atomic
def report_return(*, actor, case: Case, comment: str) -> Report:
    """A coordinator returns a filed report to the consultant for correction."""
    require(access.is_coordinator(actor))
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": _("Say what to correct; the consultant sees it.")})
    case = Case.objects.select_for_update().get(pk=case.pk)
    updated = Report.objects.filter(
        case=case,
        status=Report.Status.SUBMITTED,
        case__status__in=states.REPORT_CORRECTABLE,
    ).update(status=Report.Status.RETURNED, correction_comment=comment)
    if updated != 1:
        raise StepNotAvailable
    audit_record(actor=actor, action="report_returned", subject=case, case=case, comment=comment)
    notify("report_returned", case, consultant_of(case), comment=comment)
    return Report.objects.get(case=case)


def report_reminder(*, case: Case) -> None:
    """Timer: the report is late."""
    remind_while(
        case,
        status=Case.Status.REPORTING,
        event="report_reminder",
        action="report_reminder_sent",
        recipients=consultant_of,
    )
