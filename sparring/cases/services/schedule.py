"""The dates: the consultant proposes them, the applicant confirms (invitations go out)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from procurement.models import Unavailability
from sparring import access, clock
from sparring.audit import audit_event
from sparring.models import Case, SessionDay
from sparring.notifications import applicant_side, consultant_of, format_days, notify, step_people
from sparring.workdays import day_off_reason

from ..calendar import invitation_attachment
from ..transitions import StepNotAvailable, case_move, require, step_run
from .deadlines import days_noted


def validate_days(case: Case, days: list[dict], *, exclude_day: SessionDay | None = None) -> None:
    """Check proposed, moved or added days against the case, the call and the consultant.

    Each day is a dict of ``date``, ``start_time``, ``end_time``, ``place``,
    ``remote_link`` and optionally ``non_working_confirmed``: a weekend or a
    Finnish holiday (``sparring.workdays``, e.g. Easter Monday or Christmas Eve) is
    refused, naming the holiday, unless the person confirmed it. A day whose hours
    overlap another case's proposed, confirmed or held day of the same consultant is
    refused, naming that case and day (no double booking; issue 14).

    Raises:
        ValidationError: a list of every problem found.
    """
    errors = []
    if len(days) != case.days:
        errors.append(
            ngettext(
                "Propose exactly %(count)d day, as approved.",
                "Propose exactly %(count)d days, as approved.",
                case.days,
            )
            % {"count": case.days}
        )
    dates = [d["date"] for d in days]
    if len(set(dates)) != len(dates):
        errors.append(_("Give each day its own date."))
    today = clock.today()
    for day in days:
        if day["date"] < today:
            errors.append(
                _("%(date)s is in the past.") % {"date": day["date"].strftime("%-d.%-m.%Y")}
            )
        if not (case.call.delivery_starts <= day["date"] <= case.call.delivery_ends):
            errors.append(
                _("%(date)s is outside the call's delivery period %(start)s–%(end)s.")
                % {
                    "date": day["date"].strftime("%-d.%-m.%Y"),
                    "start": case.call.delivery_starts.strftime("%-d.%-m.%Y"),
                    "end": case.call.delivery_ends.strftime("%-d.%-m.%Y"),
                }
            )
        reason = day_off_reason(day["date"])
        if reason and not day.get("non_working_confirmed"):
            errors.append(
                ValidationError(
                    _(
                        "%(date)s is not a working day: %(reason)s. Confirm that the day is held then all the same."
                    )
                    % {"date": day["date"].strftime("%-d.%-m.%Y"), "reason": reason},
                    code="non_working_day",
                )
            )
        if day["end_time"] <= day["start_time"]:
            errors.append(_("A day must end after it starts."))
        if not (day.get("place") or day.get("remote_link")):
            errors.append(_("Give a place or a remote link for each day."))
    if case.consultant_id and dates:
        booked = _consultant_days(case, dates, exclude_day=exclude_day)
        errors += _calendar_errors(case, dates, booked)
        errors += _overlap_errors(case, days, booked)
    if errors:
        raise ValidationError(errors)


#: The statuses of a day that takes the consultant's time.
_BOOKED = (SessionDay.Status.PROPOSED, SessionDay.Status.CONFIRMED, SessionDay.Status.HELD)


def _consultant_days(case: Case, dates, *, exclude_day: SessionDay | None) -> list[SessionDay]:
    """The consultant's proposed, confirmed and held days, of every case (``case``'s own
    too), in the months of ``dates``, but ``exclude_day``; each with its case's reference,
    in date and hour order. One query for both rules that read them, the monthly capacity
    and the double booking (issue 17: a count per month and the clashing days were read
    apart; ``tests/unit/cases/test_consultant_days.py`` compares them).
    """
    months = Q()
    for year, month in sorted({(d.year, d.month) for d in dates}):
        first = date(year, month, 1)
        months |= Q(date__gte=first, date__lt=date(year + month // 12, month % 12 + 1, 1))
    booked = (
        SessionDay.objects.filter(
            months, case__consultant_id=case.consultant_id, status__in=_BOOKED
        )
        .select_related("case")
        .only(
            "case",
            "case__id",
            "case__reference",
            "date",
            "start_time",
            "end_time",
            "status",
        )
        .order_by("date", "start_time", "pk")
    )
    if exclude_day is not None:
        booked = booked.exclude(pk=exclude_day.pk)
    return list(booked)


def _calendar_errors(case: Case, dates, booked: list[SessionDay]) -> list[str]:
    """The consultant's unavailable periods and monthly capacity, for proposed dates
    (``booked``: ``_consultant_days``; this proposal replaces the case's proposed days)."""
    consultant = case.consultant
    errors = []
    # the consultant's periods touching the proposal, read once (not a query per day)
    periods = list(
        Unavailability.objects.filter(
            consultant=consultant, starts__lte=max(dates), ends__gte=min(dates)
        ).values_list("starts", "ends")
    )
    for day in dates:
        if any(starts <= day <= ends for starts, ends in periods):
            errors.append(
                _("%(date)s: the consultant is unavailable then.")
                % {"date": day.strftime("%-d.%-m.%Y")}
            )
    for year, month in sorted({(d.year, d.month) for d in dates}):
        planned = sum(
            1
            for other in booked
            if (other.date.year, other.date.month) == (year, month)
            and not (other.case_id == case.pk and other.status == SessionDay.Status.PROPOSED)
        )
        new = sum(1 for d in dates if (d.year, d.month) == (year, month))
        if planned + new > consultant.capacity_per_month:
            errors.append(
                _(
                    "The consultant's capacity in %(month)s/%(year)s is %(capacity)s days; %(planned)s are planned already."
                )
                % {
                    "month": month,
                    "year": year,
                    "capacity": consultant.capacity_per_month,
                    "planned": planned,
                }
            )
    return errors


def _overlap_errors(case: Case, days: list[dict], booked: list[SessionDay]) -> list[str]:
    """The consultant's days of other cases whose hours overlap a proposed day (double booking).

    A proposed, confirmed or held day of another case of the same consultant on the
    same date blocks the hours from its start to its end; a day may start when the
    other ends. The case's own days never clash (a proposal replaces its proposed
    days, a moved day its old hours: ``booked`` lacks it).

    Returns:
        one message per clash, naming the other case's reference and its day's hours.
    """
    valid = [d for d in days if d["end_time"] > d["start_time"]]
    if not valid:
        return []
    on = {d["date"] for d in valid}
    taken = [other for other in booked if other.date in on and other.case_id != case.pk]
    errors = []
    for d in valid:
        for other in taken:
            if (
                other.date == d["date"]
                and d["start_time"] < other.end_time
                and other.start_time < d["end_time"]
            ):
                errors.append(
                    _(
                        "%(date)s %(start)s–%(end)s overlaps the consultant's day %(other_start)s–%(other_end)s of case %(reference)s."
                    )
                    % {
                        "date": d["date"].strftime("%-d.%-m.%Y"),
                        "start": _clock(d["start_time"]),
                        "end": _clock(d["end_time"]),
                        "other_start": _clock(other.start_time),
                        "other_end": _clock(other.end_time),
                        "reference": str(other.case),
                    }
                )
    return errors


def _clock(value) -> str:
    """A time of day as Finns write it: 9.00, 13.30."""
    return f"{value.hour}.{value.minute:02d}"


def schedule_propose(*, actor, case: Case, days: list[dict], version: int) -> list[SessionDay]:
    """The consultant proposes the approved number of days inside the delivery period."""
    require(access.is_case_consultant(actor, case))
    validate_days(case, days)

    def work():
        proposed = [
            SessionDay(
                case=case,
                date=d["date"],
                start_time=d["start_time"],
                end_time=d["end_time"],
                place=d.get("place", ""),
                remote_link=d.get("remote_link", ""),
            )
            for d in sorted(days, key=lambda d: d["date"])
        ]
        case_move(
            case,
            source=[Case.Status.SCHEDULING],
            version=version,
            audit=audit_event(  # the days as proposed (their text needs no saved row)
                actor=actor,
                action="dates_proposed",
                subject=case,
                case=case,
                comment=format_days(proposed),
            ),
        )
        case.days_planned.filter(status=SessionDay.Status.PROPOSED).update(
            status=SessionDay.Status.CANCELLED
        )
        # one INSERT (the figures' triggers still fire)
        created = SessionDay.objects.bulk_create(proposed)
        step_people(case)
        notify("dates_proposed", case, applicant_side(case), days=created)
        return created

    return step_run(case, "schedule", work)


def schedule_confirm(*, actor, case: Case, accept: bool, comment: str, version: int) -> None:
    """The applicant confirms the proposed dates (invitations go out) or asks for others."""
    require(access.is_case_applicant(actor, case))
    comment = comment.strip()
    if not accept and not comment:
        raise ValidationError({"comment": _("Tell the consultant which dates would suit you.")})

    def work():
        # every day not cancelled: the proposed ones, and for the delivery step's deadline
        # (after the last day planned) all of them, read once (issue 17)
        days = list(case.days_planned.exclude(status=SessionDay.Status.CANCELLED))
        proposed = [d for d in days if d.status == SessionDay.Status.PROPOSED]
        if not proposed:
            raise StepNotAvailable
        if accept:
            case_move(
                case,
                source=[Case.Status.SCHEDULING],
                version=version,
                target=Case.Status.DELIVERY,
                audit=audit_event(
                    actor=actor,
                    action="dates_confirmed",
                    subject=case,
                    case=case,
                    comment=format_days(proposed),
                ),
            )
            SessionDay.objects.filter(pk__in=[d.pk for d in proposed]).update(
                status=SessionDay.Status.CONFIRMED
            )
            for day in proposed:
                day.status = SessionDay.Status.CONFIRMED
            days_noted(case, days, without=[SessionDay.Status.CANCELLED])
            step_people(case)  # the invitation and the message read them
            attachment = invitation_attachment(case, proposed)
            notify(
                "dates_confirmed",
                case,
                applicant_side(case) + consultant_of(case),
                days=proposed,
                attachments_for=lambda _recipient: attachment,
            )
        else:
            case_move(
                case,
                source=[Case.Status.SCHEDULING],
                version=version,
                audit=audit_event(
                    actor=actor, action="dates_declined", subject=case, case=case, comment=comment
                ),
            )
            SessionDay.objects.filter(pk__in=[d.pk for d in proposed]).update(
                status=SessionDay.Status.CANCELLED
            )
            notify("dates_declined", case, consultant_of(case), comment=comment)

    step_run(case, "confirm", work)
