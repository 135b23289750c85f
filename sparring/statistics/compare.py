"""Every figure read from the maintained aggregates against the same figure computed live.

Used by ``manage.py check_aggregates`` and ``bench_figures``: the statistics page's
figures and deeper figures (whole programme and each call), the ledger, fairness,
the call-off's counters (committed days per consultant, days per supplier) of each
agreement. The invoicing basis is a list of the month's held days read from the
records themselves, not an aggregate, so there is nothing to compare.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Max, Min
from django.utils import timezone

from procurement import calloff, reports
from procurement.models import Consultant, FrameworkAgreement
from sparring.models import Call, Case, SessionDay

from . import figures, impact, live


def _diff(label: str, stored, computed, problems: list[str]) -> None:
    if stored != computed:
        problems.append(f"{label}: aggregates {stored!r} != live {computed!r}")


def scopes() -> list[figures.Scope]:
    """The whole programme, each call on its own, the later half of the submissions
    (a date filter: no pooled small surveys; from a day within a month: read from the
    per-case rows) and the same from its whole month on (read from the rollup)."""
    result = [figures.Scope()] + [figures.Scope(call=call) for call in Call.objects.order_by("pk")]
    dates = Case.objects.filter(submitted_at__isnull=False).aggregate(
        first=Min("submitted_at"), last=Max("submitted_at")
    )
    if dates["first"] is not None:
        middle = dates["first"] + (dates["last"] - dates["first"]) / 2
        middle = timezone.localdate(middle)
        result.append(figures.Scope(start=middle))
        # whole months (the rollup serves them): from the middle month to the last
        last = timezone.localdate(dates["last"])
        end = (last.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        result.append(figures.Scope(start=middle.replace(day=1), end=end))
    return result


def statistics_differences(scope: figures.Scope) -> list[str]:
    """Differences between the statistics page's figures from aggregates and live."""
    problems: list[str] = []
    name = f"call {scope.call.pk}" if scope.call else "programme"
    stored = figures.statistics(scope) | {"impact": impact.impact(scope)}
    computed = live.statistics(scope) | {"impact": live.impact(scope)}
    for key in stored:
        _diff(f"statistics ({name}) {key}", stored[key], computed[key], problems)
    return problems


def _ledger_rows(ledger: reports.Ledger) -> list[tuple]:
    return [
        (
            line.supplier.pk,
            line.committed_days,
            line.delivered_days,
            line.cases,
            line.committed_eur,
            line.delivered_eur,
        )
        for line in ledger.lines
    ]


def agreement_differences(agreement: FrameworkAgreement) -> list[str]:
    """Differences in the ledger, fairness and the call-off's counters of ``agreement``."""
    problems: list[str] = []
    name = f"agreement {agreement.pk}"
    _diff(
        f"{name} ledger",
        _ledger_rows(reports.ledger(agreement)),
        _ledger_rows(reports.ledger(agreement, live=True)),
        problems,
    )
    _diff(
        f"{name} fairness",
        reports.fairness(agreement),
        reports.fairness(agreement, live=True),
        problems,
    )
    held = SessionDay.objects.filter(
        status=SessionDay.Status.HELD, case__consultant__supplier__agreement=agreement
    )
    for month in held.dates("date", "month"):  # the invoicing basis's month totals
        _diff(
            f"{name} invoicing {month:%Y-%m}",
            reports.invoicing_total(agreement, month),
            reports.invoicing_total_live(reports.invoicing_rows(agreement, month)),
            problems,
        )
    ids = list(
        Consultant.objects.filter(supplier__agreement=agreement).values_list("pk", flat=True)
    )
    _diff(
        f"{name} committed days",
        calloff.committed_days(ids),
        calloff.committed_days_live(ids),
        problems,
    )
    _diff(
        f"{name} supplier days",
        {k: v for k, v in calloff.supplier_days(agreement).items() if v},
        {k: v for k, v in calloff.supplier_days_live(agreement).items() if v},
        problems,
    )
    return problems


def differences() -> list[str]:
    """Every difference between a figure from aggregates and the same figure live."""
    problems: list[str] = []
    for scope in scopes():
        problems += statistics_differences(scope)
    for agreement in FrameworkAgreement.objects.order_by("pk"):
        problems += agreement_differences(agreement)
    return problems
