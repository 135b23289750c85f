"""The programme's figures, computed from the case records with aggregate queries.

Nothing here is stored: every figure is a query over cases, days, reports and
survey answers, so one more case moves exactly the figures it should. The
number of queries is fixed (it does not grow with cases, calls, sectors or
suppliers); ``tests/unit/test_statistics.py`` holds it to that.

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

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from procurement.models import CallOff, Consultant, Supplier
from sparring.models import Call, Case, SessionDay
from sparring.reports.models import Report
from sparring.surveys import disclosure

WHOLE_ORGANISATION = "Koko organisaatio"
# Accepted: approved by a coordinator (a decision with days), whatever happened later.
ACCEPTED = Q(approved_days__isnull=False) & ~Q(status=Case.Status.REJECTED)

FUNNEL = [
    ("submitted", _("Submitted")),
    ("approved", _("Approved")),
    ("called_off", _("Consultant found")),
    ("held", _("Days held")),
    ("reported", _("Report filed")),
    ("closed", _("Closed")),
]
LEAD_TIMES = [
    ("application_to_decision", _("Application → decision")),
    ("decision_to_first_day", _("Decision → first day")),
    ("last_day_to_report", _("Last day → report")),
]


@dataclass(frozen=True)
class Scope:
    """Which cases the figures cover: a call, and applications submitted in a date range."""

    call: Call | None = None
    start: date | None = None
    end: date | None = None

    def cases(self) -> QuerySet[Case]:
        cases = Case.objects.exclude(status=Case.Status.DRAFT)
        if self.call is not None:
            cases = cases.filter(call=self.call)
        if self.start is not None:
            cases = cases.filter(submitted_at__date__gte=self.start)
        if self.end is not None:
            cases = cases.filter(submitted_at__date__lte=self.end)
        return cases


def _one_decimal(value) -> float | None:
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _days(value) -> float | None:
    """A mean duration in days, one decimal."""
    if value is None:
        return None
    return _one_decimal(value.total_seconds() / 86400)


def programme_figures(scope: Scope | None = None) -> dict:
    """The headline figures and the tables by sector and theme (Finnish names as keys)."""
    scope = scope or Scope()
    accepted = scope.cases().filter(ACCEPTED)
    headline = accepted.aggregate(
        accepted_applications=Count("pk"),
        organisations=Count("organisation", distinct=True),
    )
    days_delivered = SessionDay.objects.filter(
        case__in=accepted, status=SessionDay.Status.HELD
    ).count()
    participants = (
        Report.objects.filter(case__in=accepted, revision__gte=1).aggregate(n=Sum("participants"))[
            "n"
        ]
        or 0
    )
    # The survey disclosure rule (sparring/surveys/disclosure.py): whole units only.
    survey = disclosure.released(accepted, whole_calls=scope.start is None and scope.end is None)
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
    agreements = CallOff.objects.filter(case__in=accepted).values("agreement")
    return {
        **headline,
        "days_delivered": days_delivered,
        "participants": participants,
        "average_grade": _one_decimal(survey.grade),
        "answers": survey.answers,
        "response_rate": _one_decimal(100 * survey.answers / participants)
        if participants and survey.answers >= disclosure.MIN_ANSWERS
        else None,
        "suppliers": Supplier.objects.filter(agreement__in=agreements).count(),
        "consultants": Consultant.objects.filter(supplier__agreement__in=agreements).count(),
        "by_sector": by_sector,
        "by_theme": by_theme,
    }


def lead_times(scope: Scope | None = None) -> dict[str, float | None]:
    """Mean days from application to decision, decision to first day, last day to report."""
    scope = scope or Scope()
    decided = scope.cases().filter(decided_at__isnull=False)
    result = decided.aggregate(
        application_to_decision=Avg(
            ExpressionWrapper(F("decided_at") - F("submitted_at"), output_field=DurationField())
        )
    )
    # Per accepted case its first and last held day (grouped once), then the means.
    per_case = (
        SessionDay.objects.filter(status=SessionDay.Status.HELD, case__in=decided.filter(ACCEPTED))
        .annotate(
            decided_on=TruncDate("case__decided_at"),
            reported_on=TruncDate("case__report__submitted_at"),
        )
        .values("case", "decided_on", "reported_on")
        .annotate(first_day=Min("date"), last_day=Max("date"))
        .order_by()
    )
    result |= per_case.aggregate(
        decision_to_first_day=Avg(
            ExpressionWrapper(F("first_day") - F("decided_on"), output_field=DurationField())
        ),
        last_day_to_report=Avg(
            ExpressionWrapper(F("reported_on") - F("last_day"), output_field=DurationField())
        ),
    )
    return {key: _days(result[key]) for key, _label in LEAD_TIMES}


def _cases_and_days(scope: Scope | None, *group_by: str):
    """Accepted, called-off cases and their held days, grouped by ``group_by``."""
    accepted = (scope or Scope()).cases().filter(ACCEPTED, consultant__isnull=False)
    return accepted.values(*group_by).annotate(
        cases=Count("pk", distinct=True),
        days=Count("days_planned", filter=Q(days_planned__status=SessionDay.Status.HELD)),
    )


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
    cases = (
        (scope or Scope())
        .cases()
        .annotate(
            had_day=Exists(
                SessionDay.objects.filter(case=OuterRef("pk"), status=SessionDay.Status.HELD)
            )
        )
    )
    counts = cases.aggregate(
        submitted=Count("pk"),
        approved=Count("pk", filter=Q(approved_days__isnull=False)),
        called_off=Count("pk", filter=Q(consultant__isnull=False)),
        held=Count("pk", filter=Q(had_day=True)),
        reported=Count("pk", filter=Q(report__revision__gte=1)),
        closed=Count("pk", filter=Q(status=Case.Status.CLOSED)),
    )
    return [{"step": key, "label": label, "cases": counts[key]} for key, label in FUNNEL]


def by_status(scope: Scope | None = None) -> list[dict]:
    """Where the submitted applications are now, in the order of the flow."""
    counts = dict(
        (scope or Scope())
        .cases()
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
    """Everything the statistics page and its exports show."""
    scope = scope or Scope()
    return {
        "figures": programme_figures(scope),
        "lead_times": lead_times(scope),
        "suppliers": by_supplier(scope),
        "consultants": by_consultant(scope),
        "funnel": funnel(scope),
        "statuses": by_status(scope),
    }
