"""Figures of the framework agreement: the budget ledger, the invoicing basis and fairness.

The ledger and fairness read the maintained per-consultant counters
(``ConsultantLoad``: one row per consultant, kept equal to the case records by
``sparring.statistics.aggregates``; the queued changes are folded in first), so they
cost the same whatever the number of cases. The ``*_live`` functions compute the
same figures from the case records: ``manage.py check_aggregates`` and
``bench_figures`` prove the two equal. The invoicing basis lists the held days of
one month (a date range on an indexed column); its page shows them a page at a time
with the month's total (``invoicing_total``), the downloads the whole month.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Sum

from sparring import aggregates
from sparring.cases import states
from sparring.queries import SlicedLikeAQueryset, pk_among

from .models import Consultant, ConsultantLoad, FrameworkAgreement, Offer, Supplier

# Cases whose approved days are spoken for: offered, assigned, delivered or closed.
COMMITTED_STATUSES = states.COMMITTED
STOPPED_STATUSES = states.STOPPED


@dataclass
class SupplierLine:
    supplier: Supplier
    committed_days: int
    delivered_days: int
    cases: int
    committed_eur: Decimal
    delivered_eur: Decimal

    @property
    def outstanding_days(self) -> int:
        return max(self.committed_days - self.delivered_days, 0)


@dataclass
class Ledger:
    agreement: FrameworkAgreement
    lines: list[SupplierLine]

    @property
    def committed_eur(self) -> Decimal:
        return sum((line.committed_eur for line in self.lines), Decimal("0"))

    @property
    def delivered_eur(self) -> Decimal:
        return sum((line.delivered_eur for line in self.lines), Decimal("0"))

    @property
    def remaining_eur(self) -> Decimal:
        return self.agreement.budget - self.committed_eur

    @property
    def committed_days(self) -> int:
        return sum(line.committed_days for line in self.lines)

    @property
    def delivered_days(self) -> int:
        return sum(line.delivered_days for line in self.lines)


EMPTY = {"days": 0, "eur": Decimal("0"), "cases": 0, "held": 0, "held_eur": Decimal("0")}


def _add(target: dict, rows) -> None:
    for row in rows:
        entry = target.setdefault(row["key"], dict(EMPTY))
        for field in EMPTY:
            if row.get(field) is not None:
                entry[field] += row[field]


def _per_supplier(agreement: FrameworkAgreement) -> dict[int, dict]:
    """Per supplier id: committed days and euros, cases, held days and their euros.

    From the maintained counters of the agreement's consultants: one query. The
    definitions are those of ``_per_supplier_live``.
    """
    aggregates.refresh()
    totals: dict[int, dict] = {}
    _add(
        totals,
        ConsultantLoad.objects.filter(consultant__supplier__agreement=agreement)
        .values(key=F("consultant__supplier"))
        .annotate(
            days=Sum(F("committed_days") + F("offered_days") + F("stopped_days")),
            eur=Sum(F("committed_eur") + F("offered_eur") + F("stopped_eur")),
            cases=Sum("committed_cases"),
            held=Sum("held_days"),
            held_eur=Sum("held_eur"),
        )
        .order_by(),
    )
    return totals


def _per_supplier_live(agreement: FrameworkAgreement) -> dict[int, dict]:
    """Per supplier id, computed from the case records (the reference of the counters).

    Each case is priced at its agreed day price (the supplier's price, or the
    winning tender's, fixed at call-off). Three aggregate queries in all.
    """
    from sparring.models import Case, SessionDay

    totals: dict[int, dict] = {}
    # offered, assigned, delivered or closed cases (an open offer puts the case in "offered")
    _add(
        totals,
        Case.objects.filter(
            consultant__supplier__agreement=agreement, status__in=COMMITTED_STATUSES
        )
        .values(key=F("consultant__supplier"))
        .annotate(
            days=Sum("approved_days"),
            eur=Sum(F("approved_days") * F("agreed_day_price")),
            cases=Count("pk"),
        ),
    )
    _add(
        totals,
        Offer.objects.filter(consultant__supplier__agreement=agreement, status=Offer.Status.OFFERED)
        .values(key=F("consultant__supplier"))
        .annotate(
            days=Sum("case__approved_days"),
            eur=Sum(F("case__approved_days") * F("case__agreed_day_price")),
        ),
    )
    held = SessionDay.objects.filter(
        case__consultant__supplier__agreement=agreement, status=SessionDay.Status.HELD
    )
    _add(
        totals,
        held.values(key=F("case__consultant__supplier")).annotate(
            held=Count("pk"), held_eur=Sum("case__agreed_day_price")
        ),
    )
    # days held in cases stopped later were used all the same
    _add(
        totals,
        held.filter(case__status__in=STOPPED_STATUSES)
        .values(key=F("case__consultant__supplier"))
        .annotate(days=Count("pk"), eur=Sum("case__agreed_day_price")),
    )
    return totals


def ledger(agreement: FrameworkAgreement, *, live: bool = False) -> Ledger:
    """Committed and delivered days and euros per supplier, and what is left of the budget.

    ``live=True`` computes it from the case records instead of the counters.
    """
    totals = (_per_supplier_live if live else _per_supplier)(agreement)
    lines = []
    for supplier in Supplier.objects.filter(agreement=agreement).order_by(
        "ranking_position", "name"
    ):
        t = totals.get(supplier.pk, EMPTY)
        lines.append(
            SupplierLine(
                supplier=supplier,
                committed_days=t["days"],
                delivered_days=t["held"],
                cases=t["cases"],
                committed_eur=t["eur"],
                delivered_eur=t["held_eur"],
            )
        )
    return Ledger(agreement=agreement, lines=lines)


#: What a line of the invoicing basis shows (the page, its downloads, ``/api/v1/invoicing/``).
INVOICING_FIELDS = (
    "date",
    "status",
    "participants",
    "case__reference",
    "case__agreed_day_price",
    "case__organisation__name_fi",
    "case__organisation__name_sv",
    "case__consultant__user__username",
    "case__consultant__user__first_name",
    "case__consultant__user__last_name",
    "case__consultant__supplier__name",
    "case__consultant__supplier__name_sv",
    "case__consultant__supplier__ranking_position",
)


def invoicing_rows(agreement: FrameworkAgreement, month: date, supplier: Supplier | None = None):
    """The days held in ``month``, one row each: the basis of each supplier's invoice.

    The month is a date range on the indexed ``SessionDay.date`` (index
    ``sessionday_date_status``), so the query reads that month's days only. Only the
    columns a row shows are read (``INVOICING_FIELDS``; issue 17: a row of six whole
    records cost more to build than to read).
    """
    from sparring.models import SessionDay

    first = month.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    days = (
        SessionDay.objects.filter(
            case__consultant__supplier__agreement=agreement,
            status=SessionDay.Status.HELD,
            date__gte=first,
            date__lt=after,
        )
        .select_related(
            "case__organisation", "case__consultant__user", "case__consultant__supplier"
        )
        .only(*INVOICING_FIELDS)
        .order_by("case__consultant__supplier__ranking_position", "date", "pk")
    )
    if supplier is not None:
        days = days.filter(case__consultant__supplier=supplier)
    return days


class InvoicingPages(SlicedLikeAQueryset):
    """The days of ``invoicing_rows`` for a paginator: a page's ids first, then its rows.

    Counted and sliced like a queryset (``Paginator``, the API's pagination). A slice reads
    the ids of the month's held days in the basis's order from the covering indexes of
    migration ``sparring 0026`` (the held days by date with their case and id, a called-off
    case's consultant and price) without visiting the rows, and then the page's rows by
    id (issue 17: the query that sorted the month's days read every day's and case's row,
    1 800 days a month at 100 000 cases). The same rows in the same order as the queryset
    (``tests/unit/api/test_list_paging.py``).

    Args:
        days: a queryset from ``invoicing_rows``.
        count: the number of days when already known (``invoicing_total``): no COUNT.
    """

    def __init__(self, days, count: int | None = None):
        super().__init__(count)
        self.days = days

    def _count_rows(self) -> int:
        return self.days.order_by().count()

    def _rows(self, index: slice) -> list:
        return list(self.days.filter(pk_among(self.days.values("pk")[index])))

    def __iter__(self):
        return iter(self.days)


def invoicing_total(
    agreement: FrameworkAgreement, month: date, supplier: Supplier | None = None
) -> tuple[int, Decimal]:
    """How many days ``invoicing_rows(agreement, month, supplier)`` holds and what they
    cost (EUR, VAT 0 %, each day at its case's agreed day price), so a page showing a
    slice of the month's days still shows the month's total.

    Read from the maintained month totals per consultant (``statistics.rollup.invoice``,
    through the hook ``sparring.aggregates``; issue 17: not a sum over the month's days,
    1 800 at 100 000 cases) after folding in the queued changes: two queries (one EXISTS
    when nothing is queued, one sum over a row per consultant). The same as
    ``invoicing_total_live`` (``check_aggregates`` and the tests compare).
    """
    aggregates.refresh()
    first = month.replace(day=1)
    read = aggregates.invoicing_total(agreement.pk, first, supplier.pk if supplier else None)
    if read is not None:
        return read
    return invoicing_total_live(invoicing_rows(agreement, first, supplier))


def invoicing_total_live(days) -> tuple[int, Decimal]:
    """``invoicing_total`` computed from the records: how many days ``days`` (a queryset
    from ``invoicing_rows``) holds and their euros, one aggregate query."""
    totals = days.order_by().aggregate(n=Count("pk"), eur=Sum("case__agreed_day_price"))
    return totals["n"], totals["eur"] or Decimal("0")


@dataclass
class ShareLine:
    name: str
    cases: int
    days: int
    planned_share: float | None
    actual_share: float

    @property
    def difference(self) -> float | None:
        if self.planned_share is None:
            return None
        return self.actual_share - self.planned_share


def fairness(
    agreement: FrameworkAgreement, *, live: bool = False
) -> tuple[list[ShareLine], list[ShareLine]]:
    """Each supplier's and consultant's share of cases and days, against the plan.

    ``live=True`` computes it from the case records instead of the counters.
    """
    totals = (_per_supplier_live if live else _per_supplier)(agreement)
    committed = {k: v["days"] for k, v in totals.items()}
    cases = {k: v["cases"] for k, v in totals.items()}
    suppliers = list(
        Supplier.objects.filter(agreement=agreement).order_by("ranking_position", "name")
    )
    total_days = sum(committed.values()) or 0
    total_weight = sum(s.planned_share for s in suppliers) or 1
    supplier_lines = [
        ShareLine(
            name=s.name,
            cases=cases.get(s.pk, 0),
            days=committed.get(s.pk, 0),
            planned_share=s.planned_share / total_weight,
            actual_share=(committed.get(s.pk, 0) / total_days) if total_days else 0.0,
        )
        for s in suppliers
    ]
    per_consultant = (_per_consultant_live if live else _per_consultant)(agreement)
    consultant_lines = [
        ShareLine(
            name=f"{c} ({c.supplier.display_name()})",
            cases=per_consultant.get(c.pk, {}).get("n", 0),
            days=per_consultant.get(c.pk, {}).get("days", 0) or 0,
            planned_share=None,
            actual_share=((per_consultant.get(c.pk, {}).get("days", 0) or 0) / total_days)
            if total_days
            else 0.0,
        )
        for c in Consultant.objects.filter(supplier__agreement=agreement)
        .select_related("user", "supplier")
        .order_by("supplier__ranking_position", "user__last_name", "user__first_name")
    ]
    return supplier_lines, consultant_lines


def _per_consultant(agreement: FrameworkAgreement) -> dict[int, dict]:
    """Committed days and cases per consultant of the agreement, from the counters."""
    return {
        pk: {"days": days, "n": n}
        for pk, days, n in ConsultantLoad.objects.filter(
            consultant__supplier__agreement=agreement, committed_cases__gt=0
        ).values_list("consultant_id", "committed_days", "committed_cases")
    }


def _per_consultant_live(agreement: FrameworkAgreement) -> dict[int, dict]:
    """Committed days and cases per consultant of the agreement, from the case records."""
    from sparring.models import Case

    return {
        row["consultant"]: row
        for row in Case.objects.filter(
            consultant__supplier__agreement=agreement, status__in=COMMITTED_STATUSES
        )
        .values("consultant")
        .annotate(days=Sum("approved_days"), n=Count("pk"))
    }


__all__ = ["fairness", "invoicing_rows", "ledger"]
