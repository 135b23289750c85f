"""The call-off engine: who may get a case, in which order, and the record of why.

Eligibility (every rule must hold):
  * the consultant and their supplier are active and the supplier is party to the
    agreement, which is in force on the day of the call-off;
  * the consultant works in the case's language and covers its theme;
  * serves the organisation's region, or works remotely;
  * has capacity over the agreement for the approved days (days already committed
    count assigned cases and open offers);
  * is not unavailable for the whole rest of the delivery period;
  * has no conflict of interest with the organisation;
  * has not declined this case or let an offer for it expire.

Order:
  * ranking: the best-ranked supplier first; within a supplier the least loaded;
  * rotation: the supplier furthest behind its planned share first (its share of
    all days called off so far plus this case, minus its own days), then ranking;
    within a supplier the least loaded. Deterministic: the same history gives the same turn.

Ties are broken by the consultant's id, so the order never depends on chance.
"""

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy

from sparring import aggregates, clock
from sparring.cases import states

from .models import (
    ConflictOfInterest,
    Consultant,
    ConsultantLoad,
    FrameworkAgreement,
    Offer,
    Supplier,
    Unavailability,
)

# Cases whose approved days load a consultant: offered, assigned, delivered or closed.
OPEN_CASE_STATUSES = states.COMMITTED


# Why a consultant cannot be called off: the code stored in the call-off record
# (``CallOff.candidates[*]["reasons"]``) and its label, rendered in the reader's language.
# A reason is stored as ``{"code": ...}`` plus the numbers its label needs.
REASONS = {
    "inactive": gettext_lazy("not active"),
    "supplier_inactive": gettext_lazy("the supplier is not active"),
    "language": gettext_lazy("does not work in the case's language"),
    "theme": gettext_lazy("does not cover the theme"),
    "region": gettext_lazy("does not serve the region and does not work remotely"),
    "capacity": gettext_lazy("no capacity: %(load)s of %(capacity)s days committed"),
    "unavailable": gettext_lazy("unavailable for the whole delivery period"),
    "conflict": gettext_lazy("conflict of interest with the organisation"),
    "declined": gettext_lazy("declined this case or let the offer expire"),
    "agreement_ends": gettext_lazy("the agreement ends before the delivery period"),
}


def reason_label(reason) -> str:
    """One stored reason (``{"code": ..., ...numbers}``) as text in the active language.

    A reason stored as text (before the codes) is shown as it was stored; an
    unknown code is shown as the code, never an error.
    """
    if isinstance(reason, str):
        return reason
    label = REASONS.get(reason.get("code"))
    if label is None:
        return str(reason.get("code", ""))
    params = {k: v for k, v in reason.items() if k != "code"}
    return str(label) % params if params else str(label)


def reasons_text(reasons) -> str:
    """A candidate's reasons joined with "; " in the active language ("" for none)."""
    return "; ".join(reason_label(r) for r in reasons or [])


@dataclass
class Candidate:
    consultant: int
    name: str
    supplier: str
    supplier_id: int
    ranking_position: int
    load: int
    rank: int = 0
    eligible: bool = True
    reasons: list[dict] = field(default_factory=list)  # codes, see REASONS

    def as_record(self) -> dict[str, Any]:
        return asdict(self)


def agreement_in_force(at=None, *, call=None) -> FrameworkAgreement | None:
    """The framework agreement a call-off on the day of ``at`` (default: today) uses.

    A ``call`` that names its agreement uses that one only (None when it is not in
    use or not in force that day); otherwise the latest active agreement in force.
    """
    today = timezone.localdate(at) if at else clock.today()
    agreements = FrameworkAgreement.objects.filter(
        active=True, valid_from__lte=today, valid_until__gte=today
    )
    if call is not None and call.agreement_id:
        agreements = agreements.filter(pk=call.agreement_id)
    return agreements.order_by("-valid_from").first()


def committed_days(consultant_ids) -> dict[int, int]:
    """Days each consultant is committed to: assigned cases and open offers.

    Read from the maintained counters (``ConsultantLoad``, one row per consultant, the
    queued changes folded in first): no aggregate over the cases, so the call-off's
    locked section costs the same at 200 cases as at 100 000. ``committed_days_live``
    is the same figure from the records.
    """
    aggregates.refresh()
    load = dict.fromkeys(consultant_ids, 0)
    for pk, days in ConsultantLoad.objects.filter(consultant_id__in=consultant_ids).values_list(
        "pk", F("committed_days") + F("offered_days")
    ):
        load[pk] = days
    return load


def committed_days_live(consultant_ids) -> dict[int, int]:
    """``committed_days`` computed from the cases and offers (the check's reference)."""
    from sparring.models import Case

    assigned = (
        Case.objects.filter(consultant_id__in=consultant_ids, status__in=OPEN_CASE_STATUSES)
        .values("consultant_id")
        .annotate(days=Sum("approved_days"))
    )
    offered = (
        Offer.objects.filter(consultant_id__in=consultant_ids, status=Offer.Status.OFFERED)
        .values("consultant_id")
        .annotate(days=Sum("case__approved_days"))
    )
    load = dict.fromkeys(consultant_ids, 0)
    for row in list(assigned) + list(offered):
        load[row["consultant_id"]] += row["days"] or 0
    return load


def supplier_days(agreement: FrameworkAgreement) -> dict[int, int]:
    """Days called off so far per supplier of the agreement (cases not withdrawn or
    cancelled: assigned cases and open offers), from the maintained counters."""
    aggregates.refresh()
    return {
        row["supplier"]: row["days"]
        for row in ConsultantLoad.objects.filter(consultant__supplier__agreement=agreement)
        .values(supplier=F("consultant__supplier_id"))
        .annotate(days=Sum(F("committed_days") + F("offered_days")))
        .order_by()
        if row["days"]
    }


def supplier_days_live(agreement: FrameworkAgreement) -> dict[int, int]:
    """``supplier_days`` computed from the cases and offers (the check's reference)."""
    from sparring.models import Case

    rows = (
        Case.objects.filter(
            consultant__supplier__agreement=agreement, status__in=OPEN_CASE_STATUSES
        )
        .values("consultant__supplier_id")
        .annotate(days=Sum("approved_days"))
    )
    offered = (
        Offer.objects.filter(consultant__supplier__agreement=agreement, status=Offer.Status.OFFERED)
        .values("consultant__supplier_id")
        .annotate(days=Sum("case__approved_days"))
    )
    used: dict[int, int] = {}
    for row in list(rows) + list(offered):
        used[row["consultant__supplier_id"]] = used.get(row["consultant__supplier_id"], 0) + (
            row["days"] or 0
        )
    return used


@dataclass
class Pool:
    """What a call-off reads that other call-offs do not change (read before any lock).

    The consultants of the agreement (with user and supplier), who of them covers the
    case's theme, is unavailable for the whole delivery period, has a conflict with the
    organisation or declined this case, and the suppliers' planned shares (rotation).
    """

    consultants: list
    unavailable_all: set
    conflicts: set
    declined: set
    shares: dict
    period_start: Any
    period_end: Any
    covers_theme: set = field(default_factory=set)


@dataclass
class Counters:
    """The counters the rule reads under the agreement's lock: days per consultant
    (committed and offered), days per supplier (rotation) and euros committed (budget)."""

    load: dict[int, int]
    supplier_days: dict[int, int]
    committed_eur: Any


def pool(case, agreement: FrameworkAgreement) -> Pool:
    """The part of ``candidates``' input that needs no lock (see ``Pool``): four queries
    (the consultants with user and supplier; who covers the case's theme; who is
    unavailable, in conflict or declined, in one; the planned shares, for rotation)."""
    consultants = list(
        Consultant.objects.filter(supplier__agreement=agreement)
        .select_related("user", "supplier")
        .order_by("pk")
    )
    ids = [c.pk for c in consultants]
    today = clock.today()
    period_start = max(today, case.call.delivery_starts)
    period_end = min(case.call.delivery_ends, agreement.valid_until)
    covers_theme = set(
        Consultant.themes.through.objects.filter(
            consultant_id__in=ids, theme_id=case.theme_id
        ).values_list("consultant_id", flat=True)
    )
    # who cannot take this case whatever the counters say, in one statement (kind, id)
    unavailable = (
        Unavailability.objects.filter(
            consultant_id__in=ids, starts__lte=period_start, ends__gte=period_end
        )
        .values_list(Value(_UNAVAILABLE), "consultant_id")
        .order_by()
    )
    conflicting = (
        ConflictOfInterest.objects.filter(
            consultant_id__in=ids, organisation_id=case.organisation_id
        )
        .values_list(Value(_CONFLICT), "consultant_id")
        .order_by()
    )
    declining = (
        Offer.objects.filter(case=case, status__in=[Offer.Status.DECLINED, Offer.Status.EXPIRED])
        .values_list(Value(_DECLINED), "consultant_id")
        .order_by()
    )
    excluded: dict[int, set] = {_UNAVAILABLE: set(), _CONFLICT: set(), _DECLINED: set()}
    for kind, pk in unavailable.union(conflicting, declining, all=True):
        excluded[kind].add(pk)
    shares = {}
    if agreement.method == FrameworkAgreement.Method.ROTATION:
        shares = dict(
            Supplier.objects.filter(agreement=agreement).values_list("pk", "planned_share")
        )
    return Pool(
        consultants,
        excluded[_UNAVAILABLE],
        excluded[_CONFLICT],
        excluded[_DECLINED],
        shares,
        period_start,
        period_end,
        covers_theme,
    )


# the kinds of ``pool``'s one statement of exclusions
_UNAVAILABLE, _CONFLICT, _DECLINED = 1, 2, 3


def locked_counters(agreement: FrameworkAgreement, given: Pool) -> Counters:
    """Lock the agreement and its consultants, and read their counters: two queries.

    Call inside the call-off's transaction: the lock is held to its commit. One statement
    locks the agreement's row with its consultants' (in the consultants' order; an
    agreement without consultants has nobody to call off) and re-reads each consultant's
    ``active`` and ``capacity_total`` (a profile saved since ``pool`` read them counts).
    The second reads the counters as the records stand (``aggregates.current_loads``:
    the maintained loads plus what the queued changes move, nothing folded in, so every
    change committed before the lock counts). Days and euros are those of
    ``committed_days``, ``supplier_days`` and ``reports.ledger`` (committed, offered and
    stopped euros).
    """
    locked = (
        Consultant.objects.filter(supplier__agreement=agreement)
        .select_related("supplier__agreement")
        .select_for_update(of=("self", "supplier__agreement"))
        .only("active", "capacity_total", "supplier_id", "supplier__agreement__id")
        .order_by("pk")
    )
    by_pk = {c.pk: c for c in given.consultants}
    supplier_of: dict[int, int] = {}
    for row in locked:
        supplier_of[row.pk] = row.supplier_id
        consultant = by_pk.get(row.pk)
        if consultant is not None:
            consultant.active, consultant.capacity_total = row.active, row.capacity_total
    current = aggregates.current_loads(supplier_of)
    if current is None:  # no statistics app: the stored loads
        aggregates.refresh()
        current = _stored_loads(supplier_of)
    load, eur = current
    per_supplier: dict[int, int] = {}
    for pk, days in load.items():
        if days:
            per_supplier[supplier_of[pk]] = per_supplier.get(supplier_of[pk], 0) + days
    return Counters(load, per_supplier, eur)


def _stored_loads(consultant_ids) -> tuple[dict[int, int], Decimal]:
    load = dict.fromkeys(consultant_ids, 0)
    eur = Decimal("0")
    for pk, days, offered, c_eur, o_eur, s_eur in ConsultantLoad.objects.filter(
        consultant_id__in=load
    ).values_list(
        "pk", "committed_days", "offered_days", "committed_eur", "offered_eur", "stopped_eur"
    ):
        load[pk] = days + offered
        eur += c_eur + o_eur + s_eur
    return load, eur


def candidates(case, agreement: FrameworkAgreement, *, lock: bool = False) -> list[Candidate]:
    """Every consultant of the agreement, ranked by its method, each with why they can or cannot.

    ``lock=True`` locks the consultants' rows while reading their counters (call it under
    the agreement's lock). The call-off service reads ``pool`` before the lock (and does
    the flow's bookkeeping before it too) and only ``locked_counters`` under it, then
    ``rank``: the locked section is the end of its transaction.
    """
    given = pool(case, agreement)
    if lock:
        counted = locked_counters(agreement, given)
    else:
        load = committed_days([c.pk for c in given.consultants])
        used = supplier_days(agreement) if given.shares else {}
        counted = Counters(load, used, None)
    return rank(case, agreement, given, counted)


def rank(case, agreement: FrameworkAgreement, given: Pool, counted: Counters) -> list[Candidate]:
    """``candidates`` from what was read (no query): each consultant's eligibility and rank."""
    load = counted.load
    period_start, period_end = given.period_start, given.period_end
    unavailable_all, conflicts, declined = given.unavailable_all, given.conflicts, given.declined
    days = case.days
    result = []
    for consultant in given.consultants:
        load.setdefault(consultant.pk, 0)
        candidate = Candidate(
            consultant=consultant.pk,
            name=str(consultant),
            supplier=consultant.supplier.display_name(),
            supplier_id=consultant.supplier_id,
            ranking_position=consultant.supplier.ranking_position,
            load=load[consultant.pk],
        )
        reasons = candidate.reasons
        if not consultant.active:
            reasons.append({"code": "inactive"})
        if not consultant.supplier.active:
            reasons.append({"code": "supplier_inactive"})
        if case.language not in (consultant.languages or []):
            reasons.append({"code": "language"})
        if consultant.pk not in given.covers_theme:
            reasons.append({"code": "theme"})
        if not consultant.works_remotely and case.organisation.region not in (
            consultant.regions or []
        ):
            reasons.append({"code": "region"})
        if load[consultant.pk] + days > consultant.capacity_total:
            reasons.append(
                {
                    "code": "capacity",
                    "load": load[consultant.pk],
                    "capacity": consultant.capacity_total,
                }
            )
        if consultant.pk in unavailable_all:
            reasons.append({"code": "unavailable"})
        if consultant.pk in conflicts:
            reasons.append({"code": "conflict"})
        if consultant.pk in declined:
            reasons.append({"code": "declined"})
        if period_end < period_start:
            reasons.append({"code": "agreement_ends"})
        candidate.eligible = not reasons
        result.append(candidate)
    _order(result, agreement, days, given.shares, counted.supplier_days)
    return result


def _order(
    result: list[Candidate], agreement: FrameworkAgreement, days: int, shares: dict, used: dict
) -> None:
    if agreement.method == FrameworkAgreement.Method.ROTATION:
        weight = sum(shares.values()) or 1
        total_after = sum(used.values()) + days

        def key(c: Candidate):
            # The supplier furthest behind its planned share of all days, this case included.
            planned = shares.get(c.supplier_id, 1) / weight * total_after
            deficit = planned - used.get(c.supplier_id, 0)
            return (
                not c.eligible,
                -deficit,
                c.ranking_position,
                c.supplier_id,
                c.load,
                c.consultant,
            )

    else:

        def key(c: Candidate):
            return (not c.eligible, c.ranking_position, c.supplier_id, c.load, c.consultant)

    result.sort(key=key)
    for rank, candidate in enumerate(result, start=1):
        candidate.rank = rank


def proposal(ranked: list[Candidate]) -> Candidate | None:
    return next((c for c in ranked if c.eligible), None)


__all__ = [
    "REASONS",
    "Candidate",
    "Counters",
    "Pool",
    "agreement_in_force",
    "candidates",
    "committed_days",
    "locked_counters",
    "pool",
    "proposal",
    "rank",
    "reason_label",
    "reasons_text",
]
