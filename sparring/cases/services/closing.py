"""The end of a case: the feedback period ends, a coordinator closes; withdrawal and cancellation."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from procurement.models import Offer
from sparring import access, clock
from sparring.audit import audit_event
from sparring.models import Case, SessionDay
from sparring.notifications import applicant_side, consultant_of, coordinators, notify, step_people
from sparring.surveys import services as survey_services

from .. import states
from ..calendar import invitation_attachment
from ..transitions import CaseError, case_move, flow_cancel, require, step_run


def feedback_end(*, case: Case) -> None:
    """Timer: the feedback period is over; the case waits for a coordinator to close it."""
    case_move(
        case,
        source=[Case.Status.FEEDBACK],
        version=None,
        target=Case.Status.CLOSING,
        audit=audit_event(actor=None, action="feedback_ended", subject=case, case=case),
    )
    survey_services.survey_close(case=case)
    notify("closing_due", case, coordinators())


def case_close(*, actor, case: Case, comment: str, version: int) -> None:
    """A coordinator closes the case after the feedback period."""
    require(access.is_coordinator(actor))

    def work():
        case_move(
            case,
            source=[Case.Status.CLOSING],
            version=version,
            target=Case.Status.CLOSED,
            audit=audit_event(
                actor=actor, action="case_closed", subject=case, case=case, comment=comment.strip()
            ),
            closed_at=clock.now(),
        )
        step_people(case)
        notify("closed", case, applicant_side(case) + consultant_of(case))

    step_run(case, "close", work)


def _stop_case(
    *, actor, case: Case, reason: str, version: int, status: str, action: str, event: str
) -> None:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason; everyone involved sees it.")})
    with transaction.atomic():
        case_move(
            case,
            source=states.OPEN,
            version=version,
            target=status,
            audit=audit_event(actor=actor, action=action, subject=case, case=case, comment=reason),
            closed_at=clock.now(),
        )
        open_offer = (
            Offer.objects.filter(case=case, status=Offer.Status.OFFERED)
            .select_related("consultant__user")
            .first()
        )
        Offer.objects.filter(case=case, status=Offer.Status.OFFERED).update(
            status=Offer.Status.WITHDRAWN, answered_at=clock.now()
        )
        upcoming = list(
            case.days_planned.filter(
                status__in=[SessionDay.Status.PROPOSED, SessionDay.Status.CONFIRMED]
            )
        )
        confirmed = [d for d in upcoming if d.status == SessionDay.Status.CONFIRMED]
        SessionDay.objects.filter(pk__in=[d.pk for d in upcoming]).update(
            status=SessionDay.Status.CANCELLED
        )
        for day in confirmed:
            day.sequence += 1
        SessionDay.objects.filter(pk__in=[d.pk for d in confirmed]).update(
            sequence=models.F("sequence") + 1
        )
        flow_cancel(case)
        survey_services.survey_close(case=case)
        told = step_people(case, coordinators=True)  # everyone told, in one query (issue 17)
        involved = applicant_side(case) + told + consultant_of(case)
        if open_offer is not None:
            involved += consultant_of(case, open_offer.consultant)
        attachment = invitation_attachment(case, confirmed, cancel=True) if confirmed else None
        notify(
            event,
            case,
            involved,
            comment=reason,
            attachments_for=(lambda _recipient: attachment) if attachment else None,
        )


def case_withdraw(*, actor, case: Case, reason: str, version: int) -> None:
    """The applicant withdraws the application at any open step before the first day is held.

    After that the sparring has been (partly) delivered; a coordinator can still cancel it.
    """
    require(access.is_case_applicant(actor, case))
    if case.days_planned.filter(status=SessionDay.Status.HELD).exists():
        raise CaseError(
            _(
                "Days of this sparring have been held already; ask a coordinator if it must be stopped."
            )
        )
    _stop_case(
        actor=actor,
        case=case,
        reason=reason,
        version=version,
        status=Case.Status.WITHDRAWN,
        action="case_withdrawn",
        event="withdrawn",
    )


def case_cancel(*, actor, case: Case, reason: str, version: int) -> None:
    """A coordinator cancels the case at any open step."""
    require(access.is_coordinator(actor))
    _stop_case(
        actor=actor,
        case=case,
        reason=reason,
        version=version,
        status=Case.Status.CANCELLED,
        action="case_cancelled",
        event="cancelled",
    )
