"""The coordinator's review: approve, return for amendment, reject."""

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from sparring import access, clock
from sparring.audit import audit_event
from sparring.models import Call, Case, SessionDay
from sparring.notifications import applicant_side, coordinators, notify, step_people

from .. import states
from ..transitions import case_move, remind_while, require, step_run


class Decision:
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"
    CHOICES = (APPROVE, RETURN, REJECT)


#: The audit action each decision records.
DECISION_ACTIONS = {
    Decision.APPROVE: "case_approved",
    Decision.RETURN: "case_returned",
    Decision.REJECT: "case_rejected",
}


def call_days_committed(call: Call, *, excluding: Case | None = None) -> int:
    """Days approved in the call for cases that are not rejected, withdrawn or cancelled,
    plus the days already held in cases stopped later (they were used all the same).

    One query, the two sums as subqueries of it (issue 17: they were two queries; the
    approval reads it under the call's lock, a new statement, so it sees every approval
    committed before the lock). ``excluding``: a case left out of the approved days.
    """
    stopped = states.NOT_PROCEEDING
    active = Case.objects.filter(call=OuterRef("pk"), approved_days__isnull=False).exclude(
        status__in=stopped
    )
    if excluding is not None:
        active = active.exclude(pk=excluding.pk)
    held = SessionDay.objects.filter(
        case__call=OuterRef("pk"), case__status__in=stopped, status=SessionDay.Status.HELD
    )
    total = (
        Call.objects.filter(pk=call.pk)
        .annotate(
            active=_scalar(active.values("call").annotate(v=Sum("approved_days")).values("v")),
            held=_scalar(held.values("case__call").annotate(v=Count("pk")).values("v")),
        )
        .values_list("active", "held")
        .first()
    )
    return sum(total) if total is not None else 0


def _scalar(values) -> Coalesce:
    """A one-row aggregate subquery as a value (0 when it has no row)."""
    return Coalesce(Subquery(values.order_by()), Value(0), output_field=IntegerField())


def case_decide(
    *,
    actor,
    case: Case,
    decision: str,
    comment: str,
    version: int,
    approved_days: int | None = None,
) -> Case:
    """A coordinator approves, returns for amendment or rejects a submitted application."""
    require(access.is_coordinator(actor))
    if decision not in Decision.CHOICES:
        raise ValidationError({"decision": _("Choose a decision.")})
    comment = comment.strip()
    if decision in (Decision.RETURN, Decision.REJECT) and not comment:
        raise ValidationError({"comment": _("Say why: the applicant sees this comment.")})
    if decision == Decision.APPROVE:
        approved_days = approved_days or case.requested_days
        if approved_days not in (1, 2) or approved_days > case.requested_days:
            raise ValidationError(
                {"approved_days": _("Approve 1 or 2 days, at most what was requested.")}
            )

    def audit():  # the decision's row, made at the move (after the call's lock)
        return audit_event(
            actor=actor,
            action=DECISION_ACTIONS[decision],
            subject=case,
            case=case,
            comment=comment,
            data={"approved_days": approved_days} if decision == Decision.APPROVE else {},
        )

    def work():
        if decision == Decision.APPROVE:
            # Lock the call: two approvals at once cannot both take its last days.
            case.call = Call.objects.select_for_update().filter(pk=case.call_id).first()
            committed = call_days_committed(case.call, excluding=case)
            if committed + approved_days > case.call.day_budget:
                raise ValidationError(
                    {
                        "approved_days": _(
                            "The call's day budget would be exceeded: %(committed)s of "
                            "%(budget)s days are already approved."
                        )
                        % {"committed": committed, "budget": case.call.day_budget}
                    }
                )
            case_move(
                case,
                source=[Case.Status.SUBMITTED],
                version=version,
                target=Case.Status.APPROVED,
                audit=audit(),
                approved_days=approved_days,
                decided_at=clock.now(),
            )
            step_people(case)  # the applicant and the contact in one query
            notify("approved", case, applicant_side(case))
        elif decision == Decision.RETURN:
            case_move(
                case,
                source=[Case.Status.SUBMITTED],
                version=version,
                target=Case.Status.RETURNED,
                audit=audit(),
            )
            step_people(case)  # the applicant and the contact in one query
            notify("returned", case, applicant_side(case), comment=comment)
        else:
            case_move(
                case,
                source=[Case.Status.SUBMITTED],
                version=version,
                target=Case.Status.REJECTED,
                audit=audit(),
                decided_at=clock.now(),
                closed_at=clock.now(),
            )
            step_people(case)  # the applicant and the contact in one query
            notify("rejected", case, applicant_side(case), comment=comment)

    step_run(case, "review", work)
    return case


def case_review_reminder(*, case: Case) -> None:
    """Timer: the application has waited for review for the configured working days."""
    remind_while(
        case,
        status=Case.Status.SUBMITTED,
        event="review_reminder",
        action="review_reminder_sent",
        recipients=lambda c: coordinators(),
    )
