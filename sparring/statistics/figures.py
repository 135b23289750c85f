"""The programme's figures, read from the maintained per-case aggregates.

Every figure is an aggregate over ``statistics.CaseFigures`` (one narrow row per
case, kept equal to the records by ``aggregates.py``; the queued changes are folded
in first), so a figure needs no join over days, reports or answers and one more
case moves exactly the figures it should. ``live.py`` computes the same figures
from the records; ``manage.py check_aggregates`` and ``bench_figures`` prove them
equal. The number of queries is fixed (it does not grow with cases, calls,
sectors or suppliers); ``tests/unit/statistics`` holds it to that.

Definitions (shown on the page as well):
- accepted application: a coordinator approved it (it has approved days), and it
  was not rejected afterwards; withdrawn before the decision does not count;
- days delivered: days recorded as held, of accepted cases;
- participants: the numbers in the filed reports;
- suppliers and consultants: those party to the framework agreements under which
  the accepted cases were called off;
- response rate: survey answers per participant;
- survey figures (average grade, answers, response rate) follow the survey
  disclosure rule (sparring/surveys/disclosure.py): answers of closed surveys
  only, counted in whole units of at least 5 answers, no grade below 5.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, Sum

from sparring import aggregates
from sparring.models import Case
from sparring.surveys import disclosure

from . import rolled
from .common import (  # noqa: F401 (the names the page, live.py and tests import from here)
    ACCEPTED,
    FUNNEL,
    LEAD_TIMES,
    WHOLE_ORGANISATION,
    Scope,
    _days,
    _mean,
    _one_decimal,
    programme_tail,
)


def programme_figures(scope: Scope | None = None) -> dict:
    """The headline figures and the tables by sector and theme (Finnish names as keys).
    Read from the rollup when it serves the scope (``rolled.py``), else from the rows."""
    aggregates.refresh()
    scope = scope or Scope()
    if scope.rollup_serves():
        return rolled.programme_figures(scope)
    accepted = scope.figures().filter(accepted=True)
    headline = accepted.aggregate(
        accepted_applications=Count("pk"),
        organisations=Count("organisation", distinct=True),
        days_delivered=Sum("held_days"),
        participants=Sum("participants", filter=Q(report_filed=True)),
    )
    participants = headline.pop("participants") or 0
    headline["days_delivered"] = headline["days_delivered"] or 0
    # The survey disclosure rule (sparring/surveys/disclosure.py): whole units only.
    survey = disclosure.released_figures(
        accepted, whole_calls=scope.start is None and scope.end is None
    )
    by_sector = {
        row["sector__name_fi"] or WHOLE_ORGANISATION: row["n"]
        for row in accepted.values("sector__name_fi")
        .annotate(n=Count("pk"))
        .order_by("-n", "sector__name_fi")
    }
    by_theme = {
        row["theme__name_fi"]: row["n"]
        for row in accepted.values("theme__name_fi")
        .annotate(n=Count("pk"))
        .order_by("-n", "theme__name_fi")
    }
    agreements = {
        int(pk)
        for used in accepted.exclude(calloff_agreements="")
        .order_by()
        .values_list("calloff_agreements", flat=True)
        .distinct()
        for pk in used.split(",")
    }
    return {
        **headline,
        **programme_tail(
            participants=participants,
            survey=survey,
            agreements=agreements,
            by_sector=by_sector,
            by_theme=by_theme,
        ),
    }


def lead_times(scope: Scope | None = None) -> dict[str, float | None]:
    """Mean days from application to decision, decision to first day, last day to report."""
    aggregates.refresh()
    scope = scope or Scope()
    sums = (
        scope.figures()
        .filter(decided=True)
        .aggregate(
            decision=Sum("decision_us"),
            decisions=Count("decision_us"),
            first=Sum("first_day_gap", filter=Q(accepted=True)),
            firsts=Count("first_day_gap", filter=Q(accepted=True)),
            report=Sum("report_gap", filter=Q(accepted=True)),
            reports=Count("report_gap", filter=Q(accepted=True)),
        )
    )
    decision = _mean(sums["decision"], sums["decisions"])
    first = _mean(sums["first"], sums["firsts"])
    report = _mean(sums["report"], sums["reports"])
    return {
        "application_to_decision": _days(
            timedelta(microseconds=decision) if decision is not None else None
        ),
        "decision_to_first_day": _days(timedelta(days=first) if first is not None else None),
        "last_day_to_report": _days(timedelta(days=report) if report is not None else None),
    }


def _cases_and_days(scope: Scope | None, *group_by: str):
    """Accepted, called-off cases and their held days, grouped by ``group_by``."""
    aggregates.refresh()
    accepted = (scope or Scope()).figures().filter(accepted=True, consultant__isnull=False)
    return accepted.values(*group_by).annotate(cases=Count("pk"), days=Sum("held_days"))


def by_supplier(scope: Scope | None = None) -> list[dict]:
    """Accepted cases and held days per supplier, most days first."""
    rows = _cases_and_days(scope, "consultant__supplier__name").order_by(
        "-days", "-cases", "consultant__supplier__name"
    )
    return [
        {"supplier": row["consultant__supplier__name"], "cases": row["cases"], "days": row["days"]}
        for row in rows
    ]


def by_consultant(scope: Scope | None = None) -> list[dict]:
    """Accepted cases and held days per consultant, most days first."""
    rows = _cases_and_days(
        scope,
        "consultant__user__first_name",
        "consultant__user__last_name",
        "consultant__supplier__name",
    ).order_by("-days", "-cases", "consultant__user__last_name", "consultant__user__first_name")
    return [
        {
            "consultant": f"{row['consultant__user__first_name']} {row['consultant__user__last_name']}",
            "supplier": row["consultant__supplier__name"],
            "cases": row["cases"],
            "days": row["days"],
        }
        for row in rows
    ]


def funnel(scope: Scope | None = None) -> list[dict]:
    """How many of the submitted applications reached each step."""
    aggregates.refresh()
    counts = (
        (scope or Scope())
        .figures()
        .aggregate(
            submitted=Count("pk"),
            approved=Count("pk", filter=Q(approved=True)),
            called_off=Count("pk", filter=Q(consultant__isnull=False)),
            held=Count("pk", filter=Q(held_days__gt=0)),
            reported=Count("pk", filter=Q(report_filed=True)),
            closed=Count("pk", filter=Q(status=Case.Status.CLOSED)),
        )
    )
    return [{"step": key, "label": label, "cases": counts[key]} for key, label in FUNNEL]


def by_status(scope: Scope | None = None) -> list[dict]:
    """Where the submitted applications are now, in the order of the flow."""
    aggregates.refresh()
    counts = dict(
        (scope or Scope())
        .figures()
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [
        {"status": status, "label": label, "cases": counts[status]}
        for status, label in Case.Status.choices
        if counts.get(status)
    ]


def statistics(scope: Scope | None = None) -> dict:
    """Everything the statistics page and its exports show (the queued changes folded in
    once). From the rollup when it serves the scope (``rolled.py``), else from the rows."""
    scope = scope or Scope()
    with aggregates.reading():
        if scope.rollup_serves():
            aggregates.refresh()
            return rolled.statistics(scope)
        return {
            "figures": programme_figures(scope),
            "lead_times": lead_times(scope),
            "suppliers": by_supplier(scope),
            "consultants": by_consultant(scope),
            "funnel": funnel(scope),
            "statuses": by_status(scope),
        }
