"""The survey disclosure rule: which survey figures anyone may see, and when.

One rule for the case page, the statistics page, its exports, the API and the
programme's figures (docs/architecture.md, "Survey disclosure"):

1. **Nothing moves while a survey is open.** A survey's grades and free texts
   enter no figure before it has closed (on its timer, or with its case). During
   the feedback period the case page shows only the number of answers and the
   response rate. So no reader can compare a figure before and after one known
   person answered (the differencing attack of issue 13).
2. **No figure from fewer than ``MIN_ANSWERS`` (5) answers.** A closed survey
   with at least 5 answers is a *unit*: its averages and free texts may be shown
   to the case's applicant, consultant and coordinators. A closed survey with
   fewer answers is never shown on its own, to anyone (coordinators included).
3. **Statistics are sums of whole units.** A statistics figure (average grade,
   answers, response rate), whatever the filter, counts only units: each closed
   survey of 5 answers or more, and per call the *pool* of its closed smaller
   surveys, counted only when the pool has at least 5 answers, the call's delivery
   period has ended and none of its surveys is still open (the pool enters once,
   whole; it is never split by a date filter). The difference of any two views is
   then a sum of whole units, each of at least 5 answers; a view whose figure
   would rest on fewer than 5 answers shows no grade.

Counts of answers per case are not grades: coordinators (and the applicant, who
reminds the participants) see them during the period. Who answered is shown to
no one (sparring/surveys/services.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from sparring import clock

MIN_ANSWERS = 5


def closed_q(prefix: str = "") -> Q:
    """A Q for surveys that have closed (flag set, or past their closing time)."""
    return Q(**{f"{prefix}closed": True}) | Q(**{f"{prefix}closes_at__lte": clock.now()})


def is_closed(survey) -> bool:
    """True once the survey takes no more answers (see ``Survey.is_open``)."""
    return not survey.is_open()


def case_grades_visible(*, survey, answers: int) -> bool:
    """Rule 2: a case's averages and free texts are shown once its survey has closed
    with at least ``MIN_ANSWERS`` answers; to every reader of the case, never earlier."""
    return is_closed(survey) and answers >= MIN_ANSWERS


@dataclass(frozen=True)
class Released:
    """The survey figures a scope may show: answers counted, and their sums.

    ``grade`` is None when the scope rests on fewer than ``MIN_ANSWERS`` answers.
    """

    answers: int
    overall_sum: int

    @property
    def grade(self) -> float | None:
        if self.answers < MIN_ANSWERS:
            return None
        return self.overall_sum / self.answers


def released(cases: QuerySet, *, whole_calls: bool) -> Released:
    """Rule 3: the survey figures of ``cases`` (a queryset of Case), from whole units,
    computed live from the surveys and answers.

    Args:
        cases: the cases in the reader's scope.
        whole_calls: True when the scope takes each call whole (no date filter): only
            then are a call's pooled small surveys counted.

    Two queries, whatever the number of cases or calls.
    """
    from .models import Survey

    surveys = (
        Survey.objects.filter(closed_q(), case__in=cases)
        .annotate(n=Count("answers"), total=Sum("answers__overall"))
        .filter(n__gt=0)
        .values_list("case__call_id", "n", "total")
    )
    answers = 0
    total = 0
    pools: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    for call_id, n, overall in surveys:
        if n >= MIN_ANSWERS:
            answers += n
            total += overall
        elif whole_calls:
            pools[call_id][0] += n
            pools[call_id][1] += overall
    open_survey = Survey.objects.filter(case__call=OuterRef("pk")).exclude(closed_q())
    return _whole_units(answers, total, pools, open_survey)


def released_figures(rows: QuerySet, *, whole_calls: bool) -> Released:
    """Rule 3 read from the maintained per-case figures (``statistics.CaseFigures``).

    The same result as ``released`` for the same cases: ``rows`` are the figures rows
    of the cases in the reader's scope; the rule (closed surveys, units of at least
    ``MIN_ANSWERS``, a call's pool whole) is applied here, on their stored counts of
    answers and closing time. Up to three queries.
    """
    closed = rows.filter(closed_q("survey_"), survey_answers__gt=0)
    units = closed.filter(survey_answers__gte=MIN_ANSWERS).aggregate(
        n=Sum("survey_answers"), total=Sum("survey_overall")
    )
    pools: dict[int | None, list[int]] = {}
    if whole_calls:
        pools = {
            call_id: [n, overall]
            for call_id, n, overall in closed.filter(survey_answers__lt=MIN_ANSWERS)
            .order_by()
            .values_list("call_id")
            .annotate(n=Sum("survey_answers"), total=Sum("survey_overall"))
            .values_list("call_id", "n", "total")
        }
    open_survey = rows.model.objects.filter(call=OuterRef("pk"), has_survey=True).exclude(
        closed_q("survey_")
    )
    return _whole_units(units["n"] or 0, units["total"] or 0, pools, open_survey)


def _whole_units(
    answers: int,
    total: int,
    pools: dict,
    open_survey: QuerySet | None = None,
    *,
    open_calls: set[int] | None = None,
) -> Released:
    """The units (``answers``, ``total``) plus each call's pool of small closed surveys
    that may enter: the pool has at least ``MIN_ANSWERS`` answers, the call's delivery
    period has ended and none of its surveys is still open (``open_survey``, correlated
    on the call, or the ids ``open_calls`` of the calls with an open survey)."""
    from sparring.models import Call

    # always one query, pools or none (no call has the id 0): a page's count of queries
    # does not depend on whether some call has small closed surveys
    calls = Call.objects.filter(pk__in=[*(pk for pk in pools if pk is not None), 0]).filter(
        delivery_ends__lt=clock.today()
    )
    if open_survey is not None:
        calls = calls.exclude(Exists(open_survey))
    else:
        calls = calls.exclude(pk__in=[*(open_calls or ()), 0])
    ended = set(calls.values_list("pk", flat=True))
    for call_id, (n, overall) in pools.items():
        if call_id in ended and n >= MIN_ANSWERS:
            answers += n
            total += overall
    return Released(answers=answers, overall_sum=total)
