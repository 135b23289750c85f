"""The programme's figures computed live from the records: the reference for the
maintained aggregates.

These are the queries the statistics page ran before the aggregates
(``sparring/statistics/aggregates.py``): joins and aggregates over every case, day,
report and answer. The page reads ``figures.py`` and ``impact.py``; this module is
what ``manage.py check_aggregates`` and ``bench_figures`` compare them with, so its
results define "correct". Same signatures and results as the aggregate versions.
"""

from __future__ import annotations

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
    Sum,
)
from django.db.models.functions import TruncDate

from procurement.models import CallOff, Consultant, Supplier
from sparring.models import Case, SessionDay
from sparring.outcomes.followup import follow_up_actions
from sparring.outcomes.models import FollowUpAnswer, FollowUpInvitation
from sparring.reports.models import Report
from sparring.surveys import disclosure
from sparring.surveys.models import Survey, SurveyAnswer

from .figures import (
    ACCEPTED,
    FUNNEL,
    LEAD_TIMES,
    WHOLE_ORGANISATION,
    Scope,
    _days,
    _one_decimal,
)
from .impact import GROUPS, RESULT_TYPES, SMALLEST_GROUP, _share, disclosed, result_type_codes


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


def _answers(scope: Scope):
    """The survey answers a breakdown may use: those of the scope's accepted cases whose
    survey has closed with at least ``SMALLEST_GROUP`` answers (the disclosure rule's
    units, ``sparring/surveys/disclosure.py``). A case belongs wholly to one group, so
    every group's figure, and the difference of any two views, is a sum of whole units."""
    units = (
        Survey.objects.filter(disclosure.closed_q(), case__in=scope.cases().filter(ACCEPTED))
        .annotate(n=Count("answers"))
        .filter(n__gte=SMALLEST_GROUP)
        .values("pk")
    )
    return SurveyAnswer.objects.filter(survey__in=units)


def grades_by(scope: Scope, group: str) -> list[dict]:
    """The overall grade by ``group`` (sector, theme, supplier or consultant): each
    group's number of answers and, from ``SMALLEST_GROUP`` answers up, its mean.

    Returns rows ``{"name", "answers", "average"}``, most answers first. Sector and
    theme names are Finnish here; the page shows them in the reader's language. A
    case concerning the whole organisation has the sector name None.
    """
    if group == "consultant":
        rows = (
            _answers(scope)
            .values(
                "survey__case__consultant__user__first_name",
                "survey__case__consultant__user__last_name",
            )
            .annotate(answers=Count("pk"), average=Avg("overall"))
            .order_by(
                "-answers",
                "survey__case__consultant__user__last_name",
                "survey__case__consultant__user__first_name",
            )
        )
        return [
            {
                "name": " ".join(
                    filter(
                        None,
                        (
                            row["survey__case__consultant__user__first_name"],
                            row["survey__case__consultant__user__last_name"],
                        ),
                    )
                ),
                "answers": row["answers"],
                "average": disclosed(row["average"], row["answers"]),
            }
            for row in rows
        ]
    field, _label = GROUPS[group]
    rows = (
        _answers(scope)
        .values(field)
        .annotate(answers=Count("pk"), average=Avg("overall"))
        .order_by("-answers", field)
    )
    return [
        {
            "name": row[field],
            "answers": row["answers"],
            "average": disclosed(row["average"], row["answers"]),
        }
        for row in rows
    ]


def grade_distribution(scope: Scope) -> dict:
    """How the overall grades are spread: for each grade 1–5 its share of the answers
    (per cent), only from ``SMALLEST_GROUP`` answers up (else ``shares`` is None)."""
    counts = dict(
        _answers(scope)
        .order_by()
        .values_list("overall")
        .annotate(n=Count("pk"))
        .values_list("overall", "n")
    )
    total = sum(counts.values())
    shares = None
    if total >= SMALLEST_GROUP:
        shares = {grade: _one_decimal(100 * counts.get(grade, 0) / total) for grade in range(1, 6)}
    return {"answers": total, "shares": shares}


def report_traceability(scope: Scope) -> dict:
    """What the filed reports of accepted cases name: how many name concrete follow-up
    actions (see ``outcomes.followup.follow_up_actions``) and how many name each kind
    of result (``RESULT_TYPES``), most named first. One query."""
    reports = Report.objects.filter(
        case__in=scope.cases().filter(ACCEPTED), revision__gte=1
    ).values_list("results", "follow_up")
    total = with_actions = 0
    named = dict.fromkeys((code for code, _l, _w in RESULT_TYPES), 0)
    for results, follow_up in reports:
        total += 1
        with_actions += bool(follow_up_actions(follow_up))
        for code in result_type_codes(results):
            named[code] += 1
    labels = {code: label for code, label, _w in RESULT_TYPES}
    result_types = sorted(
        ({"code": code, "label": labels[code], "reports": n} for code, n in named.items() if n),
        key=lambda row: (-row["reports"], str(row["label"])),
    )
    return {
        "reports": total,
        "with_actions": with_actions,
        "with_actions_share": _one_decimal(100 * with_actions / total) if total else None,
        "result_types": result_types,
    }


def follow_up_figures(scope: Scope) -> dict:
    """The follow-up survey: links sent and answered, the response rate, the mean impact
    overall and by theme and sector, the share of recommended actions carried out and of
    respondents who would recommend sparring. Averages and shares only from
    ``SMALLEST_GROUP`` answers up."""
    cases = scope.cases().filter(ACCEPTED)
    invitations = FollowUpInvitation.objects.filter(follow_up__case__in=cases).aggregate(
        sent=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False))
    )
    answers = FollowUpAnswer.objects.filter(follow_up__case__in=cases)
    overall = answers.aggregate(
        n=Count("pk"), impact=Avg("impact"), recommend=Count("pk", filter=Q(recommend=True))
    )
    done = {"yes": 0, "partly": 0, "no": 0}
    for actions_done in answers.values_list("actions_done", flat=True):
        for value in actions_done or []:
            if value in done:
                done[value] += 1
    rated = sum(done.values())

    def impact_by(field: str) -> list[dict]:
        rows = (
            answers.values(field)
            .annotate(answers=Count("pk"), average=Avg("impact"))
            .order_by("-answers", field)
        )
        return [
            {
                "name": row[field],
                "answers": row["answers"],
                "average": disclosed(row["average"], row["answers"]),
            }
            for row in rows
        ]

    return {
        "sent": invitations["sent"],
        "answers": invitations["answered"],
        "response_rate": _one_decimal(100 * invitations["answered"] / invitations["sent"])
        if invitations["sent"]
        else None,
        "average_impact": disclosed(overall["impact"], overall["n"]),
        "recommend_share": _share(overall["recommend"], overall["n"]),
        "actions_rated": rated,
        "actions_carried_out_share": _share(done["yes"], rated)
        if overall["n"] >= SMALLEST_GROUP
        else None,
        "actions_partly_share": _share(done["partly"], rated)
        if overall["n"] >= SMALLEST_GROUP
        else None,
        "impact_by_theme": impact_by("follow_up__case__theme__name_fi"),
        "impact_by_sector": impact_by("follow_up__case__sector__name_fi"),
    }


def impact(scope: Scope | None = None) -> dict:
    """Every figure of ``impact.impact``, live."""
    scope = scope or Scope()
    return {
        "grades_by": {group: grades_by(scope, group) for group in GROUPS},
        "grade_distribution": grade_distribution(scope),
        "reports": report_traceability(scope),
        "follow_up": follow_up_figures(scope),
    }
