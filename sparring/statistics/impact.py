"""Deeper figures: grades by group and their distribution, what the reports name, and
the follow-up survey. One query per table, whatever the number of cases: each reads
the maintained per-case figures (``statistics.CaseFigures``, see ``aggregates.py``);
``live.py`` computes the same from the records.

The disclosure rule of the survey holds for every figure here
(``sparring/surveys/disclosure.py``): the grades come only from closed surveys of at
least ``SMALLEST_GROUP`` (5) answers, and an average, a share or a distribution is
shown only when computed from at least that many answers; a smaller group shows its
count of answers and nothing else. The follow-up survey is not anonymous (its answers
are on the case), but its figures follow the same five-answer rule.

Result types are found in the reports' "results achieved" text by the keywords of
``RESULT_TYPES`` (the kinds of result the programme's public summary names,
`../shared/reference/programme-facts.md`); a report may name several.
"""

from __future__ import annotations

from django.db.models import Count, Sum

from sparring import aggregates
from sparring.surveys import disclosure

from . import rolled
from .common import (
    FIGURE_GROUPS,
    GROUPS,
    RESULT_TYPES,
    SMALLEST_GROUP,
    Scope,
    _one_decimal,
    _share,
    disclosed,
)


def _units(scope: Scope):
    """The per-case figures a breakdown of grades may use: those of the scope's accepted
    cases whose survey has closed with at least ``SMALLEST_GROUP`` answers (the
    disclosure rule's units, ``sparring/surveys/disclosure.py``). A case belongs wholly
    to one group, so every group's figure, and the difference of any two views, is a
    sum of whole units."""
    aggregates.refresh()
    return (
        scope.figures()
        .filter(accepted=True)
        .filter(disclosure.closed_q("survey_"), survey_answers__gte=SMALLEST_GROUP)
    )


def _mean(total, count):
    return total / count if count else None


def grades_by(scope: Scope, group: str) -> list[dict]:
    """The overall grade by ``group`` (sector, theme, supplier or consultant): each
    group's number of answers and, from ``SMALLEST_GROUP`` answers up, its mean.

    Returns rows ``{"name", "answers", "average"}``, most answers first. Sector and
    theme names are Finnish here; the page shows them in the reader's language. A
    case concerning the whole organisation has the sector name None.
    """
    sums = {"answers": Sum("survey_answers"), "total": Sum("survey_overall")}
    if group == "consultant":
        rows = (
            _units(scope)
            .values("consultant__user__first_name", "consultant__user__last_name")
            .annotate(**sums)
            .order_by("-answers", "consultant__user__last_name", "consultant__user__first_name")
        )
        return [
            {
                "name": " ".join(
                    filter(
                        None,
                        (row["consultant__user__first_name"], row["consultant__user__last_name"]),
                    )
                ),
                "answers": row["answers"],
                "average": disclosed(_mean(row["total"], row["answers"]), row["answers"]),
            }
            for row in rows
        ]
    field = FIGURE_GROUPS[group]
    rows = _units(scope).values(field).annotate(**sums).order_by("-answers", field)
    return [
        {
            "name": row[field],
            "answers": row["answers"],
            "average": disclosed(_mean(row["total"], row["answers"]), row["answers"]),
        }
        for row in rows
    ]


def grade_distribution(scope: Scope) -> dict:
    """How the overall grades are spread: for each grade 1–5 its share of the answers
    (per cent), only from ``SMALLEST_GROUP`` answers up (else ``shares`` is None)."""
    sums = _units(scope).aggregate(**{str(g): Sum(f"grade_{g}") for g in range(1, 6)})
    counts = {grade: sums[str(grade)] or 0 for grade in range(1, 6)}
    total = sum(counts.values())
    shares = None
    if total >= SMALLEST_GROUP:
        shares = {grade: _one_decimal(100 * counts[grade] / total) for grade in range(1, 6)}
    return {"answers": total, "shares": shares}


def result_type_codes(text: str) -> list[str]:
    """The codes of ``RESULT_TYPES`` whose keywords occur in ``text`` (any case)."""
    text = (text or "").lower()
    return [code for code, _label, words in RESULT_TYPES if any(w in text for w in words)]


def report_traceability(scope: Scope) -> dict:
    """What the filed reports of accepted cases name: how many name concrete follow-up
    actions (see ``outcomes.followup.follow_up_actions``) and how many name each kind
    of result (``RESULT_TYPES``), most named first. One query (per kind of report)."""
    aggregates.refresh()
    kinds = (
        scope.figures()
        .filter(accepted=True, report_filed=True)
        .order_by()
        .values_list("report_types", "report_actions")
        .annotate(n=Count("pk"))
    )
    total = with_actions = 0
    named = dict.fromkeys((code for code, _l, _w in RESULT_TYPES), 0)
    for mask, actions, n in kinds:
        total += n
        with_actions += n if actions else 0
        for bit, (code, _l, _w) in enumerate(RESULT_TYPES):
            if mask & (1 << bit):
                named[code] += n
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
    aggregates.refresh()
    cases = scope.figures().filter(accepted=True)
    sums = cases.aggregate(
        sent=Sum("follow_up_sent"),
        answered=Sum("follow_up_answered"),
        n=Sum("follow_up_answers"),
        impact=Sum("follow_up_impact"),
        recommend=Sum("follow_up_recommend"),
        yes=Sum("follow_up_done"),
        partly=Sum("follow_up_partly"),
        no=Sum("follow_up_not_done"),
    )
    sums = {key: value or 0 for key, value in sums.items()}
    rated = sums["yes"] + sums["partly"] + sums["no"]
    answered = cases.filter(follow_up_answers__gt=0)

    def impact_by(field: str) -> list[dict]:
        rows = (
            answered.values(field)
            .annotate(answers=Sum("follow_up_answers"), total=Sum("follow_up_impact"))
            .order_by("-answers", field)
        )
        return [
            {
                "name": row[field],
                "answers": row["answers"],
                "average": disclosed(_mean(row["total"], row["answers"]), row["answers"]),
            }
            for row in rows
        ]

    return {
        "sent": sums["sent"],
        "answers": sums["answered"],
        "response_rate": _one_decimal(100 * sums["answered"] / sums["sent"])
        if sums["sent"]
        else None,
        "average_impact": disclosed(_mean(sums["impact"], sums["n"]), sums["n"]),
        "recommend_share": _share(sums["recommend"], sums["n"]),
        "actions_rated": rated,
        "actions_carried_out_share": _share(sums["yes"], rated)
        if sums["n"] >= SMALLEST_GROUP
        else None,
        "actions_partly_share": _share(sums["partly"], rated)
        if sums["n"] >= SMALLEST_GROUP
        else None,
        "impact_by_theme": impact_by("theme__name_fi"),
        "impact_by_sector": impact_by("sector__name_fi"),
    }


def impact(scope: Scope | None = None) -> dict:
    """Every figure of this module for the statistics page, its exports and the API
    (the queued changes folded in once). From the rollup when it serves the scope
    (``rolled.py``), else from the per-case rows."""
    scope = scope or Scope()
    with aggregates.reading():
        if scope.rollup_serves():
            aggregates.refresh()
            return rolled.impact(scope)
        return {
            "grades_by": {group: grades_by(scope, group) for group in GROUPS},
            "grade_distribution": grade_distribution(scope),
            "reports": report_traceability(scope),
            "follow_up": follow_up_figures(scope),
        }
