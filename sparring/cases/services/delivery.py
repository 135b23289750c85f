"""The sparring days: recorded as held, moved, added, cancelled; the last one ends delivery."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sparring import access, clock
from sparring.audit import audit_event
from sparring.models import AuditEvent, Case, SessionDay
from sparring.notifications import applicant_side, consultant_of, format_days, notify, step_people

from ..calendar import invitation_attachment
from ..transitions import StepNotAvailable, case_move, require, step_work_then_maybe_complete
from .deadlines import days_noted, deliver_deadline_follow_days
from .schedule import validate_days

_NOT_PLANNED_YET_OR_CANCELLED = (SessionDay.Status.PROPOSED, SessionDay.Status.CANCELLED)


def _delivery_complete(case: Case) -> tuple[bool, list[SessionDay]]:
    """Whether every day agreed (not proposed only, not cancelled) is held; and those days."""
    days = list(case.days_planned.exclude(status__in=_NOT_PLANNED_YET_OR_CANCELLED))
    return bool(days) and all(d.status == SessionDay.Status.HELD for d in days), days


def session_day_record(*, actor, day: SessionDay, participants: int) -> None:
    """The consultant records a day as held, with its participants."""
    case = day.case
    require(access.is_case_consultant(actor, case))
    if day.date > clock.today():
        raise ValidationError(
            {"participants": _("A day can be recorded as held on the day or after it.")}
        )
    if not 1 <= participants <= 1000:
        raise ValidationError({"participants": _("Give the number of participants, 1–1000.")})

    def work():
        updated = SessionDay.objects.filter(pk=day.pk, status=SessionDay.Status.CONFIRMED).update(
            status=SessionDay.Status.HELD, participants=participants
        )
        if updated != 1:
            raise StepNotAvailable
        return _after_day_change(
            case,
            audit_event(
                actor=actor,
                action="day_held",
                subject=case,
                case=case,
                data={"day": day.pk, "participants": participants},
                comment=format_days([day]),
            ),
        )

    step_work_then_maybe_complete(case, "deliver", work)


def _after_day_change(case: Case, audit: AuditEvent) -> bool:
    """Note the change on the case, with its audit row (``case_move(audit=...)``); True when
    every planned day is held (delivery done)."""
    complete, days = _delivery_complete(case)
    if complete:
        case_move(
            case,
            source=[Case.Status.DELIVERY],
            version=None,
            target=Case.Status.REPORTING,
            audit=audit,
        )
        # the report step's deadline (after the last day held) reads them from the note
        days_noted(case, days, without=_NOT_PLANNED_YET_OR_CANCELLED)
        return True
    case_move(case, source=[Case.Status.DELIVERY], version=None, audit=audit)
    return False


def session_day_reschedule(*, actor, day: SessionDay, data: dict, reason: str) -> None:
    """Move a confirmed day; both sides get the updated invitation."""
    case = day.case
    require(access.is_case_consultant(actor, case) or access.is_coordinator(actor))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the day moves; the applicant sees it.")})
    __validate_day_change(case, day, data)

    def work():
        updated = SessionDay.objects.filter(pk=day.pk, status=SessionDay.Status.CONFIRMED).update(
            date=data["date"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            place=data.get("place", ""),
            remote_link=data.get("remote_link", ""),
            sequence=day.sequence + 1,
        )
        if updated != 1:
            raise StepNotAvailable
        day.refresh_from_db()
        case_move(
            case,
            source=[Case.Status.DELIVERY],
            version=None,
            audit=audit_event(
                actor=actor,
                action="day_rescheduled",
                subject=case,
                case=case,
                comment=reason,
                data={"day": day.pk},
            ),
        )
        deliver_deadline_follow_days(case)
        step_people(case)  # the invitation and the message read them
        attachment = invitation_attachment(case, [day])
        notify(
            "day_rescheduled",
            case,
            applicant_side(case) + consultant_of(case),
            days=[day],
            comment=reason,
            attachments_for=lambda _recipient: attachment,
        )
        return False

    step_work_then_maybe_complete(case, "deliver", work)


def __validate_day_change(case: Case, day: SessionDay, data: dict) -> None:
    others = case.days_planned.exclude(pk=day.pk).exclude(status=SessionDay.Status.CANCELLED)
    if others.filter(date=data["date"]).exists():
        raise ValidationError(_("Another day of this sparring is on that date."))
    saved_days = case.days
    try:
        case.approved_days = 1
        validate_days(case, [data], exclude_day=day)
    finally:
        case.approved_days = saved_days


def session_day_add(*, actor, case: Case, data: dict) -> SessionDay:
    """Add a day to replace a cancelled one, up to the approved number of days."""
    require(access.is_case_consultant(actor, case))
    active = case.days_planned.filter(
        status__in=[SessionDay.Status.CONFIRMED, SessionDay.Status.HELD]
    )
    if active.count() >= case.days:
        raise ValidationError(_("All the approved days are planned already."))
    if active.filter(date=data["date"]).exists():
        raise ValidationError(_("Another day of this sparring is on that date."))
    saved_days = case.approved_days
    try:
        case.approved_days = 1
        validate_days(case, [data])
    finally:
        case.approved_days = saved_days
    created = []

    def work():
        day = SessionDay.objects.create(
            case=case,
            date=data["date"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            place=data.get("place", ""),
            remote_link=data.get("remote_link", ""),
            status=SessionDay.Status.CONFIRMED,
        )
        created.append(day)
        case_move(
            case,
            source=[Case.Status.DELIVERY],
            version=None,
            audit=audit_event(
                actor=actor, action="day_added", subject=case, case=case, comment=format_days([day])
            ),
        )
        deliver_deadline_follow_days(case)
        step_people(case)  # the invitation and the message read them
        attachment = invitation_attachment(case, [day])
        notify(
            "day_added",
            case,
            applicant_side(case) + consultant_of(case),
            days=[day],
            attachments_for=lambda _recipient: attachment,
        )
        return False

    step_work_then_maybe_complete(case, "deliver", work)
    return created[0]


def session_day_cancel(*, actor, day: SessionDay, reason: str) -> None:
    """Cancel a confirmed day that will not take place; the calendar entry is cancelled."""
    case = day.case
    require(access.is_case_consultant(actor, case) or access.is_coordinator(actor))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the day is cancelled; the applicant sees it.")})

    def work():
        remaining = case.days_planned.filter(
            status__in=[SessionDay.Status.CONFIRMED, SessionDay.Status.HELD]
        ).exclude(pk=day.pk)
        if not remaining.exists():
            raise ValidationError(
                _(
                    "The only remaining day cannot be cancelled: move it instead, or cancel the whole case."
                )
            )
        updated = SessionDay.objects.filter(pk=day.pk, status=SessionDay.Status.CONFIRMED).update(
            status=SessionDay.Status.CANCELLED, sequence=day.sequence + 1
        )
        if updated != 1:
            raise StepNotAvailable
        day.refresh_from_db()
        deliver_deadline_follow_days(case)
        audit = audit_event(
            actor=actor,
            action="day_cancelled",
            subject=case,
            case=case,
            comment=reason,
            data={"day": day.pk},
        )
        step_people(case)  # the invitation and the message read them
        attachment = invitation_attachment(case, [day], cancel=True)
        notify(
            "day_cancelled",
            case,
            applicant_side(case) + consultant_of(case),
            days=[day],
            comment=reason,
            attachments_for=lambda _recipient: attachment,
        )
        return _after_day_change(case, audit)

    step_work_then_maybe_complete(case, "deliver", work)
