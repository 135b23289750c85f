"""Mini-competition (kevennetty kilpailutus) among the suppliers of the agreement.

1. A coordinator opens it for an approved case: the suppliers that have at least
   one eligible consultant are invited; the invitation states the deadline, the
   weight of price and the quality criteria.
2. Each invited supplier's consultant may offer (and change the offer) until the
   deadline: the consultant who would facilitate, the dates, the approach, the
   day price. Offers are sealed: nobody sees their contents before the deadline.
3. After the deadline the coordinator scores the quality of each offer (0–10);
   the total is  price_weight × lowest price / price + quality_weight × score / 10,
   and the case is called off to the best total (ties: lower price, then ranking).
"""

from dataclasses import asdict, dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sparring import access, clock
from sparring.audit import audit_record
from sparring.cases import services

from . import calloff
from .models import Consultant, FrameworkAgreement, MiniCompetition, Tender


@dataclass
class RankedTender:
    tender: int
    supplier: str
    consultant: int
    consultant_name: str
    day_price: str
    quality_score: int | None
    price_points: float
    quality_points: float
    total: float
    rank: int = 0

    def as_record(self) -> dict:
        return asdict(self)


def rank_tenders(competition: MiniCompetition) -> list[RankedTender]:
    """Score every tender by the weights of the invitation, best first."""
    tenders = list(competition.tenders.select_related("supplier", "consultant__user"))
    if not tenders:
        return []
    lowest = min(t.day_price for t in tenders)
    ranked = []
    for tender in tenders:
        price_points = competition.price_weight * float(lowest / tender.day_price)
        quality_points = competition.quality_weight * (tender.quality_score or 0) / 10
        ranked.append(
            RankedTender(
                tender=tender.pk,
                supplier=tender.supplier.display_name(),
                consultant=tender.consultant_id,
                consultant_name=str(tender.consultant),
                day_price=str(tender.day_price),
                quality_score=tender.quality_score,
                price_points=round(price_points, 2),
                quality_points=round(quality_points, 2),
                total=round(price_points + quality_points, 2),
            )
        )
    rankings = {t.pk: t.supplier.ranking_position for t in tenders}
    ranked.sort(key=lambda r: (-r.total, Decimal(r.day_price), rankings[r.tender], r.tender))
    for n, row in enumerate(ranked, start=1):
        row.rank = n
    return ranked


def open_competition(case):
    return MiniCompetition.objects.filter(case=case, status=MiniCompetition.Status.OPEN).first()


@transaction.atomic
def competition_open(*, actor, case, deadline, price_weight: int, criteria: str) -> MiniCompetition:
    """Invite the suppliers with an eligible consultant to offer for an approved case."""
    from sparring.models import Case
    from sparring.notifications import Recipient, notify, site_url

    if not access.is_coordinator(actor):
        raise PermissionDenied
    agreement = calloff.agreement_in_force(call=case.call)
    if agreement is None or agreement.method != FrameworkAgreement.Method.MINI_COMPETITION:
        raise ValidationError(_("The agreement in force does not call off by mini-competition."))
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status != Case.Status.APPROVED:
        raise ValidationError(_("A mini-competition can be opened for an approved case only."))
    if open_competition(locked) is not None:
        raise ValidationError(_("A mini-competition is already open for this case."))
    if deadline <= clock.now():
        raise ValidationError({"deadline": _("The deadline must be in the future.")})
    if not 0 <= price_weight <= 100:
        raise ValidationError({"price_weight": _("Give the weight of price as 0–100%.")})
    criteria = criteria.strip()
    if not criteria:
        raise ValidationError(
            {"criteria": _("State the quality criteria: the suppliers offer against them.")}
        )
    ranked = calloff.candidates(locked, agreement)
    invited = sorted({c.supplier_id for c in ranked if c.eligible})
    if not invited:
        raise ValidationError(_("No supplier has an eligible consultant for this case."))
    competition = MiniCompetition.objects.create(
        case=locked,
        agreement=agreement,
        deadline=deadline,
        price_weight=price_weight,
        criteria=criteria,
        opened_by=actor,
    )
    competition.invited.set(invited)
    audit_record(
        actor=actor,
        action="competition_opened",
        subject=locked,
        case=locked,
        data={"competition": competition.pk, "invited": invited},
        comment=criteria,
    )
    eligible_ids = {c.consultant for c in ranked if c.eligible}
    consultants = Consultant.objects.filter(pk__in=eligible_ids).select_related("user")
    notify(
        "competition_invited",
        locked,
        [Recipient(c.user.email, c.user.language, c.user) for c in consultants],
        deadline=deadline,
        # the case page opens to a consultant only with an offer; the tender page opens now
        open_url=site_url(reverse("procurement:tender", args=[competition.pk])),
        open_label=_("Make an offer"),
    )
    return competition


def can_tender(user, competition: MiniCompetition) -> bool:
    return (
        access.is_consultant(user)
        and competition.status == MiniCompetition.Status.OPEN
        and competition.invited.filter(pk=user.consultant.supplier_id).exists()
    )


@transaction.atomic
def tender_submit(
    *, actor, competition: MiniCompetition, day_price, proposed_dates: str, approach: str
) -> Tender:
    """An invited supplier's consultant offers (or changes the offer) before the deadline."""
    competition = MiniCompetition.objects.select_for_update().get(pk=competition.pk)
    if not can_tender(actor, competition):
        raise PermissionDenied
    if not competition.is_sealed():
        raise ValidationError(
            _("The deadline has passed; offers can no longer be made or changed.")
        )
    ranked = {c.consultant: c for c in calloff.candidates(competition.case, competition.agreement)}
    me = ranked.get(actor.consultant.pk)
    if me is None or not me.eligible:
        raise ValidationError(_("You are not eligible for this case, so you cannot offer for it."))
    tender, created = Tender.objects.update_or_create(
        competition=competition,
        supplier=actor.consultant.supplier,
        defaults={
            "consultant": actor.consultant,
            "day_price": day_price,
            "proposed_dates": proposed_dates.strip(),
            "approach": approach.strip(),
            "submitted_by": actor,
            "submitted_at": clock.now(),  # the last change counts
        },
    )
    tender.full_clean()
    audit_record(
        actor=actor,
        action="tender_submitted" if created else "tender_changed",
        subject=competition.case,
        case=competition.case,
        # the contents stay sealed, also here; the supplier lets it read its own events
        data={"competition": competition.pk, "supplier": tender.supplier_id},
    )
    return tender


def competition_award(
    *,
    actor,
    competition: MiniCompetition,
    scores: dict[int, int],
    version: int,
    consultant=None,
    justification: str = "",
):
    """Score the tenders after the deadline and call off the best (or override with a justification)."""
    if not access.is_coordinator(actor):
        raise PermissionDenied
    if competition.status != MiniCompetition.Status.OPEN:
        raise services.StepNotAvailable
    if competition.is_sealed():
        raise ValidationError(_("The offers are sealed until the deadline."))
    tenders = set(competition.tenders.values_list("pk", flat=True))
    if not tenders:
        raise ValidationError(
            _("No offers came: cancel the mini-competition and call off otherwise.")
        )
    for pk in tenders:
        score = scores.get(pk)
        if score is None or not 0 <= score <= 10:
            raise ValidationError(_("Score every offer 0–10."))
    with transaction.atomic():
        for pk in tenders:
            Tender.objects.filter(pk=pk).update(quality_score=scores[pk])
        ranked = rank_tenders(competition)
        winner = ranked[0]
        chosen = consultant or Consultant.objects.get(pk=winner.consultant)
        chosen_tender = next((r for r in ranked if r.consultant == chosen.pk), None)
        if chosen.pk != winner.consultant and not justification.strip():
            raise ValidationError(
                {
                    "justification": _(
                        "You chose someone other than the best offer: write the justification."
                    )
                }
            )
        offer = services.case_call_off(
            actor=actor,
            case=competition.case,
            version=version,
            consultant=chosen,
            justification=justification,
            competition_result={
                "proposed": winner.consultant,
                "tenders": [r.as_record() for r in ranked],
                "price": Decimal(chosen_tender.day_price) if chosen_tender else None,
            },
        )
        MiniCompetition.objects.filter(pk=competition.pk).update(
            status=MiniCompetition.Status.AWARDED
        )
    return offer


@transaction.atomic
def competition_cancel(*, actor, competition: MiniCompetition, reason: str) -> None:
    if not access.is_coordinator(actor):
        raise PermissionDenied
    updated = MiniCompetition.objects.filter(
        pk=competition.pk, status=MiniCompetition.Status.OPEN
    ).update(status=MiniCompetition.Status.CANCELLED)
    if updated:
        audit_record(
            actor=actor,
            action="competition_cancelled",
            subject=competition.case,
            case=competition.case,
            comment=reason,
        )
