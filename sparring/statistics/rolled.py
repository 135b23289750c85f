"""The statistics page's figures read from the rollup (``FigureRollup``, ``rollup.py``).

The same results as ``figures.py`` and ``impact.py`` read from ``CaseFigures`` (and as
``live.py``), for every scope the rollup serves (``Scope.rollup_serves``: no date range,
or one of whole months). Each figure sums the rollup rows of one grouping; the number
of rows read depends on calls, months and groups, not on cases. Beside the rollup:

- distinct organisations (a distinct count is not a sum): without a date range the
  count the fold-in keeps (``rollup.counted``: one row per call and the programme's),
  else one count on ``CaseFigures``
  answered from the partial index ``casefigures_accepted_org``;
- surveys not flagged closed: read from ``CaseFigures`` by the partial index
  ``casefigures_survey_pending`` (two queries, ``Pending``), because whether they have closed depends
  on the clock (``disclosure.closed_q``); those closed by their time enter the survey
  figures here exactly as a flagged one enters the rollup (``rollup.survey_measures``).

The disclosure rule (``sparring/surveys/disclosure.py``) is applied on these sums as on
the rows: units of at least 5 answers, a call's pool whole, no grade from fewer than 5.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from types import SimpleNamespace

from django.db import connection
from django.db.models import BooleanField, Count, Sum, Value, When
from django.db.models import Case as Case_

from procurement.models import Consultant
from sparring import clock
from sparring.models import Case, Sector, Theme
from sparring.surveys import disclosure

from . import rollup
from .common import (
    FUNNEL,
    GROUPS,
    RESULT_TYPES,
    SMALLEST_GROUP,
    WHOLE_ORGANISATION,
    Scope,
    _days,
    _mean,
    _one_decimal,
    _share,
    disclosed,
    programme_tail,
)
from .models import CaseFigures, FigureRollup


class Pending:
    """The surveys not flagged closed (read from ``CaseFigures`` by the partial index
    ``casefigures_survey_pending``): the calls with one still open (any scope), and the
    sums of those closed by their time of the scope's accepted cases with answers, per
    call, sector, theme, consultant and unit or not (a few rows). Two queries."""

    def __init__(self, scope: Scope):
        now = clock.now()
        waiting = CaseFigures.objects.filter(has_survey=True, survey_closed=False)
        # null closing time: open (as ``exclude(disclosure.closed_q(...))``)
        self.open_calls = set(
            waiting.exclude(survey_closes_at__lte=now)
            .order_by()
            .values_list("call_id", flat=True)
            .distinct()
        )
        closed = scope.figures().filter(
            has_survey=True,
            survey_closed=False,
            survey_closes_at__lte=now,
            accepted=True,
            survey_answers__gt=0,
        )
        self.rows = [
            SimpleNamespace(**row)
            for row in closed.values("call_id", "sector_id", "theme_id", "consultant_id")
            .annotate(
                unit=Case_(
                    When(survey_answers__gte=disclosure.MIN_ANSWERS, then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                ),
                survey_answers=Sum("survey_answers"),
                survey_overall=Sum("survey_overall"),
                **{f"grade_{g}": Sum(f"grade_{g}") for g in range(1, 6)},
            )
            .order_by()
        ]


def _sum(rows, **names) -> dict:
    result = rows.aggregate(**{key: Sum(field) for key, field in names.items()})
    return {key: value or 0 for key, value in result.items()}


def _released(scope: Scope, pending: Pending) -> disclosure.Released:
    whole_calls = scope.start is None and scope.end is None
    units = _sum(scope.rollup(rollup.ALL), n="unit_answers", total="unit_overall")
    answers, total = units["n"], units["total"]
    pools: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    if whole_calls:
        for call_id, n, overall in (
            scope.rollup(rollup.ALL)
            .filter(small_answers__gt=0)
            .order_by()
            .values_list("call_id")
            .annotate(n=Sum("small_answers"), total=Sum("small_overall"))
            .values_list("call_id", "n", "total")
            .filter(n__gt=0)
        ):
            pools[call_id][0] += n
            pools[call_id][1] += overall
    for row in pending.rows:
        if row.unit:
            answers += row.survey_answers
            total += row.survey_overall
        elif whole_calls:
            pools[row.call_id][0] += row.survey_answers
            pools[row.call_id][1] += row.survey_overall
    return disclosure._whole_units(answers, total, dict(pools), open_calls=pending.open_calls)


def programme_figures(scope: Scope, pending: Pending | None = None) -> dict:
    """``figures.programme_figures`` from the rollup (``scope`` must be served by it)."""
    pending = pending or Pending(scope)
    sums = _sum(
        scope.rollup(rollup.ALL),
        accepted_applications="accepted",
        days_delivered="accepted_days",
        participants="participants",
    )
    if scope.start is None and scope.end is None:  # the maintained count (rollup.counted)
        call = scope.call.pk if scope.call is not None else rollup.PROGRAMME
        organisations = sum(
            FigureRollup.objects.filter(dim=rollup.ORGANISATIONS, call_id=call).values_list(
                "organisations", flat=True
            )
        )
    else:  # from the partial index casefigures_accepted_org alone
        organisations = (
            scope.figures().filter(accepted=True).aggregate(n=Count("organisation", distinct=True))
        )["n"]
    survey = _released(scope, pending)
    by_sector = {
        row["sector__name_fi"] or WHOLE_ORGANISATION: row["n"]
        for row in scope.rollup(rollup.SECTOR)
        .values("sector__name_fi")
        .annotate(n=Sum("accepted"))
        .filter(n__gt=0)
        .order_by("-n", "sector__name_fi")
    }
    by_theme = {
        row["theme__name_fi"]: row["n"]
        for row in scope.rollup(rollup.THEME)
        .values("theme__name_fi")
        .annotate(n=Sum("accepted"))
        .filter(n__gt=0)
        .order_by("-n", "theme__name_fi")
    }
    agreements = {
        int(pk)
        for used in scope.rollup(rollup.AGREEMENTS)
        .exclude(agreements="")
        .values("agreements")
        .annotate(n=Sum("accepted"))
        .filter(n__gt=0)
        .values_list("agreements", flat=True)
        for pk in used.split(",")
    }
    participants = sums["participants"]
    return {
        "accepted_applications": sums["accepted_applications"],
        "organisations": organisations,
        "days_delivered": sums["days_delivered"],
        **programme_tail(
            participants=participants,
            survey=survey,
            agreements=agreements,
            by_sector=by_sector,
            by_theme=by_theme,
        ),
    }


def statistics(scope: Scope) -> dict:
    """``figures.statistics`` from the rollup: the headline and by-group figures, lead
    times, suppliers, consultants, funnel and statuses."""
    totals = _sum(
        scope.rollup(rollup.ALL),
        **{
            name: name
            for name in (
                "cases",
                "approved",
                "called_off",
                "held",
                "reported",
                "closed",
                "decision_sum",
                "decision_n",
                "first_gap_sum",
                "first_gap_n",
                "report_gap_sum",
                "report_gap_n",
            )
        },
    )
    decision = _mean(totals["decision_sum"], totals["decision_n"])
    first = _mean(totals["first_gap_sum"], totals["first_gap_n"])
    report = _mean(totals["report_gap_sum"], totals["report_gap_n"])
    lead_times = {
        "application_to_decision": _days(
            timedelta(microseconds=decision) if decision is not None else None
        ),
        "decision_to_first_day": _days(timedelta(days=first) if first is not None else None),
        "last_day_to_report": _days(timedelta(days=report) if report is not None else None),
    }
    by_consultant = scope.rollup(rollup.CONSULTANT).filter(called_cases__gt=0)
    suppliers = (
        by_consultant.values("consultant__supplier__name")
        .annotate(cases=Sum("called_cases"), days=Sum("called_days"))
        .order_by("-days", "-cases", "consultant__supplier__name")
    )
    consultants = (
        by_consultant.values(
            "consultant__user__first_name",
            "consultant__user__last_name",
            "consultant__supplier__name",
        )
        .annotate(cases=Sum("called_cases"), days=Sum("called_days"))
        .order_by("-days", "-cases", "consultant__user__last_name", "consultant__user__first_name")
    )
    counts = {key: totals[key] for key in ("approved", "called_off", "held", "reported")}
    counts |= {"submitted": totals["cases"], "closed": totals["closed"]}
    statuses = dict(
        scope.rollup(rollup.STATUS)
        .values("status")
        .annotate(n=Sum("cases"))
        .filter(n__gt=0)
        .values_list("status", "n")
    )
    return {
        "figures": programme_figures(scope),
        "lead_times": lead_times,
        "suppliers": [
            {"supplier": r["consultant__supplier__name"], "cases": r["cases"], "days": r["days"]}
            for r in suppliers
        ],
        "consultants": [
            {
                "consultant": f"{r['consultant__user__first_name']} {r['consultant__user__last_name']}",
                "supplier": r["consultant__supplier__name"],
                "cases": r["cases"],
                "days": r["days"],
            }
            for r in consultants
        ],
        "funnel": [{"step": key, "label": label, "cases": counts[key]} for key, label in FUNNEL],
        "statuses": [
            {"status": status, "label": label, "cases": statuses[status]}
            for status, label in Case.Status.choices
            if statuses.get(status)
        ],
    }


# group -> (rollup dim, rollup name fields: the names a group is keyed and ordered by)
_GRADE_GROUPS = {
    "sector": (rollup.SECTOR, ["sector__name_fi"]),
    "theme": (rollup.THEME, ["theme__name_fi"]),
    "supplier": (rollup.CONSULTANT, ["consultant__supplier__name"]),
    "consultant": (
        rollup.CONSULTANT,
        ["consultant__user__last_name", "consultant__user__first_name"],
    ),
}


def _names(group: str) -> tuple[dict, dict]:
    """(id -> name tuple, name tuple -> its place in the database's order of names): the
    names of a pending row's group, and the collation the page's SQL ``ORDER BY`` used,
    for merging the pending surveys into a group. One small query."""
    if group == "sector":
        rows = Sector.objects.order_by("name_fi").values_list("pk", "name_fi")
    elif group == "theme":
        rows = Theme.objects.order_by("name_fi").values_list("pk", "name_fi")
    elif group == "supplier":
        rows = Consultant.objects.order_by("supplier__name").values_list("pk", "supplier__name")
    else:
        rows = Consultant.objects.order_by("user__last_name", "user__first_name").values_list(
            "pk", "user__last_name", "user__first_name"
        )
    name_of: dict = {}
    order: dict = {}
    for pk, *name in rows:
        name_of[pk] = tuple(name)
        order.setdefault(tuple(name), len(order))
    return name_of, order


def _grades_by(scope: Scope, group: str, pending: list) -> list[dict]:
    dim, fields = _GRADE_GROUPS[group]
    groups: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for row in (
        scope.rollup(dim)
        .filter(unit_n__gt=0)
        .values(*fields)
        .annotate(answers=Sum("unit_answers"), total=Sum("unit_overall"))
    ):
        entry = groups[tuple(row[f] for f in fields)]
        entry[0] += row["answers"]
        entry[1] += row["total"]
    name_of, order = _names(group)
    id_field = "consultant_id" if group in ("supplier", "consultant") else f"{group}_id"
    for row in pending:
        if row.unit:
            entry = groups[name_of.get(getattr(row, id_field), (None,) * len(fields))]
            entry[0] += row.survey_answers
            entry[1] += row.survey_overall
    nulls_last = connection.features.nulls_order_largest
    unknown = len(order) + 1

    def place(name: tuple):
        if any(part is None for part in name):
            return (1 if nulls_last else -1, 0)
        return (0, order.get(name, unknown))

    rows = sorted(groups.items(), key=lambda item: (-item[1][0], place(item[0])))
    return [
        {
            "name": " ".join(filter(None, (name[1], name[0])))
            if group == "consultant"
            else name[0],
            "answers": n,
            "average": _disclosed(total, n),
        }
        for name, (n, total) in rows
    ]


def _disclosed(total: int, answers: int):
    return disclosed(_mean(total, answers), answers)


def impact(scope: Scope) -> dict:
    """``impact.impact`` from the rollup: grades by group and their distribution, what the
    reports name, the follow-up survey."""
    pending = Pending(scope).rows
    totals = _sum(
        scope.rollup(rollup.ALL),
        **{f"g{g}": f"unit_grade_{g}" for g in range(1, 6)},
        reports="reports",
        actions="reports_actions",
        **{f"r{i}": f"result_{i}" for i in range(rollup.RESULT_BITS)},
        sent="fu_sent",
        answered="fu_answered",
        n="fu_answers",
        impact="fu_impact",
        recommend="fu_recommend",
        yes="fu_done",
        partly="fu_partly",
        no="fu_not_done",
    )
    counts = {g: totals[f"g{g}"] for g in range(1, 6)}
    for row in pending:
        if row.unit:
            for g in range(1, 6):
                counts[g] += getattr(row, f"grade_{g}")
    answers = sum(counts.values())
    shares = None
    if answers >= SMALLEST_GROUP:
        shares = {g: _one_decimal(100 * counts[g] / answers) for g in range(1, 6)}
    labels = {code: label for code, label, _w in RESULT_TYPES}
    result_types = sorted(
        (
            {"code": code, "label": labels[code], "reports": totals[f"r{i}"]}
            for i, (code, _l, _w) in enumerate(RESULT_TYPES)
            if totals[f"r{i}"]
        ),
        key=lambda row: (-row["reports"], str(row["label"])),
    )
    reports, with_actions = totals["reports"], totals["actions"]
    rated = totals["yes"] + totals["partly"] + totals["no"]
    n = totals["n"]

    def impact_by(dim: str, field: str) -> list[dict]:
        rows = (
            scope.rollup(dim)
            .filter(fu_answers__gt=0)
            .values(field)
            .annotate(answers=Sum("fu_answers"), total=Sum("fu_impact"))
            .order_by("-answers", field)
        )
        return [
            {
                "name": r[field],
                "answers": r["answers"],
                "average": _disclosed(r["total"], r["answers"]),
            }
            for r in rows
        ]

    return {
        "grades_by": {group: _grades_by(scope, group, pending) for group in GROUPS},
        "grade_distribution": {"answers": answers, "shares": shares},
        "reports": {
            "reports": reports,
            "with_actions": with_actions,
            "with_actions_share": _one_decimal(100 * with_actions / reports) if reports else None,
            "result_types": result_types,
        },
        "follow_up": {
            "sent": totals["sent"],
            "answers": totals["answered"],
            "response_rate": _one_decimal(100 * totals["answered"] / totals["sent"])
            if totals["sent"]
            else None,
            "average_impact": _disclosed(totals["impact"], n),
            "recommend_share": _share(totals["recommend"], n),
            "actions_rated": rated,
            "actions_carried_out_share": _share(totals["yes"], rated)
            if n >= SMALLEST_GROUP
            else None,
            "actions_partly_share": _share(totals["partly"], rated)
            if n >= SMALLEST_GROUP
            else None,
            "impact_by_theme": impact_by(rollup.THEME, "theme__name_fi"),
            "impact_by_sector": impact_by(rollup.SECTOR, "sector__name_fi"),
        },
    }
