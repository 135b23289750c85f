"""The call-off of a consultant under the framework agreement, and the consultant's answer."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from procurement import calloff
from procurement.models import CallOff, FrameworkAgreement, Offer
from sparring import access, clock
from sparring.audit import audit_event, audit_record
from sparring.models import Case
from sparring.notifications import (
    applicant_side,
    consultant_of,
    coordinators,
    notify,
    sent_together,
    step_people,
)

from .. import deadlines
from ..transitions import CaseError, StepNotAvailable, case_move, require, step_run


def case_call_off(
    *,
    actor,
    case: Case,
    version: int,
    consultant=None,
    justification: str = "",
    competition_result: dict | None = None,
):
    """Call off a consultant for an approved case under the framework agreement.

    Ranking order and rotation: the method ranks every consultant and proposes
    the first eligible one. Mini-competition: ``competition_result`` (from
    ``procurement.minicompetition.competition_award``) proposes the best offer
    and carries its price. A coordinator takes the proposal, or chooses another
    eligible consultant with a written justification (a manual override). Either
    way a decision record lists every candidate with their rank and why they were
    or were not eligible.

    Locking (docs/architecture.md, "Locks"): the agreement's row and its consultants'
    rows are locked to the commit, so call-offs decide one after another and never
    share the last day of a consultant's capacity or the last euros of the budget.
    The lock is the transaction's last part: the rule's other reads (``calloff.pool``)
    and the flow's bookkeeping (this task completed, the offer's task, timers and
    deadline row) come before it; under it only the counters, the choice and the
    writes naming the chosen consultant.

    Raises:
        PermissionDenied: ``actor`` is not a coordinator.
        CaseError: no agreement in force; ``StepNotAvailable``/``StaleCase`` when the
            case is not waiting for its call-off at ``version``.
        ValidationError: nobody eligible, the chosen consultant not eligible or not of
            the agreement, an override without justification, or over the budget
            (nothing is saved then).
    """
    require(access.is_coordinator(actor))
    justification = justification.strip()
    agreement = calloff.agreement_in_force(call=case.call)
    if agreement is None:
        raise CaseError(
            _("No framework agreement is in force today; a consultant cannot be called off.")
        )
    by_competition = agreement.method == FrameworkAgreement.Method.MINI_COMPETITION
    if by_competition and competition_result is None:
        raise ValidationError(
            {
                "consultant": _(
                    "This agreement calls off by mini-competition: open one for the case."
                )
            }
        )
    deadline = deadlines.offer_deadline()

    def work():
        # Before the agreement's lock: everything the rule reads that other call-offs do
        # not change (the consultants, their themes, unavailability, conflicts, the case's
        # declines, the planned shares). ``step_run`` then completes the call-off's task
        # and activates the offer's (task rows, timers, the step's deadline row): none of
        # it depends on who is chosen, so it is done before the lock too.
        return calloff.pool(case, agreement)

    def choose_and_offer(given):
        # The locked section, the last part of the transaction: the lock of the agreement
        # and its consultants, the counters (loads, days per supplier, euros committed, as
        # the records stand: the maintained ConsultantLoad rows plus what the queued
        # changes move, one statement, nothing folded in), the choice and the writes that
        # name the chosen consultant; then the commit. Two call-offs at once never both
        # take the last day of someone's capacity or the last euros of the budget.
        counted = calloff.locked_counters(agreement, given)
        return decide(given, counted)

    def decide(given, counted):
        ranked = calloff.rank(case, agreement, given, counted)
        if competition_result is not None:
            proposed_id = competition_result["proposed"]
        else:
            proposal = calloff.proposal(ranked)
            proposed_id = proposal.consultant if proposal else None
        chosen_id = consultant.pk if consultant is not None else proposed_id
        if chosen_id is None:
            raise ValidationError(
                {"consultant": _("No consultant of the agreement is eligible for this case.")}
            )
        chosen = next((c for c in ranked if c.consultant == chosen_id), None)
        if chosen is None:
            raise ValidationError(
                {"consultant": _("This consultant is not party to the framework agreement.")}
            )
        if not chosen.eligible:
            raise ValidationError(
                {
                    "consultant": _("%(name)s cannot be called off: %(reasons)s.")
                    % {"name": chosen.name, "reasons": calloff.reasons_text(chosen.reasons)}
                }
            )
        overridden = proposed_id is not None and chosen.consultant != proposed_id
        if overridden and not justification:
            raise ValidationError(
                {
                    "justification": _(
                        "You chose someone other than the proposed consultant: write the justification."
                    )
                }
            )
        chosen_consultant = next(c for c in given.consultants if c.pk == chosen.consultant)
        tender_price = competition_result.get("price") if competition_result else None
        price = tender_price if tender_price is not None else chosen_consultant.supplier.day_price
        cost = case.days * price
        remaining = agreement.budget - counted.committed_eur  # as reports.ledger adds it up
        if cost > remaining:
            raise ValidationError(
                {
                    "consultant": _(
                        "The agreement's budget would be exceeded: this call-off costs %(cost)s €, "
                        "%(remaining)s € remain."
                    )
                    % {"cost": cost, "remaining": remaining}
                }
            )
        case_move(
            case,
            source=[Case.Status.APPROVED],
            version=version,
            target=Case.Status.OFFERED,
            agreed_day_price=price,
        )
        offer = Offer.objects.create(
            case=case, consultant=chosen_consultant, offered_by=actor, deadline=deadline
        )
        record = CallOff.objects.create(
            case=case,
            agreement=agreement,
            method=agreement.method,
            candidates=[c.as_record() for c in ranked],
            tenders=competition_result["tenders"] if competition_result else [],
            proposed_id=proposed_id,
            chosen=chosen_consultant,
            override_justification=justification if overridden else "",
            offer=offer,
            decided_by=actor,
        )
        # Written apart from the move: the row names the offer and the call-off record,
        # made after it.
        audit_record(
            actor=actor,
            action="case_offered",
            subject=case,
            case=case,
            data={
                "consultant": chosen_consultant.pk,
                "offer": offer.pk,
                "call_off": record.pk,
                "overridden": overridden,
            },
            comment=str(chosen_consultant) + (f"\n{justification}" if overridden else ""),
        )
        notify(
            "offered",
            case,
            consultant_of(case, chosen_consultant),
            consultant=chosen_consultant,
            deadline=deadline,
        )
        return offer

    return step_run(case, "call_off", work, then=choose_and_offer)


def offer_answer(*, actor, offer, accept: bool, reason: str = "") -> None:
    """The offered consultant accepts or declines."""
    case = offer.case
    require(access.is_consultant(actor) and offer.consultant_id == actor.consultant.pk)
    reason = reason.strip()
    if not accept and not reason:
        raise ValidationError(
            {"reason": _("Say briefly why you decline; the coordinator sees it.")}
        )

    if clock.now() > offer.deadline:
        raise CaseError(_("The time to answer this offer has passed; it counts as declined."))

    def work():
        claimed = Offer.objects.filter(pk=offer.pk, status=Offer.Status.OFFERED).update(
            status=Offer.Status.ACCEPTED if accept else Offer.Status.DECLINED,
            answered_at=clock.now(),
            reason=reason,
        )
        if claimed != 1:
            raise StepNotAvailable
        audit = audit_event(
            actor=actor,
            action="offer_accepted" if accept else "offer_declined",
            subject=case,
            case=case,
            comment=reason,
            data={"offer": offer.pk},
        )
        if accept:
            case_move(
                case,
                source=[Case.Status.OFFERED],
                version=None,
                target=Case.Status.SCHEDULING,
                audit=audit,
                consultant=offer.consultant,
            )
            told = step_people(case, coordinators=True, consultant=offer.consultant)
            with sent_together():
                notify("offer_accepted_coordinator", case, told)
                notify("offer_accepted_applicant", case, applicant_side(case))
        else:
            case_move(
                case,
                source=[Case.Status.OFFERED],
                version=None,
                target=Case.Status.APPROVED,
                audit=audit,
            )
            notify(
                "offer_declined_coordinator",
                case,
                coordinators(),
                consultant=offer.consultant,
                comment=reason,
            )

    step_run(case, "offer", work)


def offer_expire(*, case: Case) -> None:
    """Timer: no answer by the deadline counts as a decline (the flow returns to call-off)."""
    offer = (
        Offer.objects.filter(case=case, status=Offer.Status.OFFERED)
        .select_related("consultant__user")
        .first()
    )
    if offer is None:
        return
    Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.EXPIRED, answered_at=clock.now())
    case_move(
        case,
        source=[Case.Status.OFFERED],
        version=None,
        target=Case.Status.APPROVED,
        audit=audit_event(
            actor=None, action="offer_expired", subject=case, case=case, data={"offer": offer.pk}
        ),
    )
    with sent_together():
        notify("offer_expired_coordinator", case, coordinators(), consultant=offer.consultant)
        notify(
            "offer_expired_consultant",
            case,
            consultant_of(case, offer.consultant),
            consultant=offer.consultant,
        )
