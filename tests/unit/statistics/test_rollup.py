"""The figure rollup (``FigureRollup``): kept equal to the per-case rows by the fold-in,
rebuilt and checked by ``check_aggregates``, and the statistics page's figures read from
it equal to the same figures computed live, whole programme, per call and per range of
whole months; other ranges read the per-case rows. Surveys closing by their time (no
fold-in) enter the figures at once; distinct organisations are counted, not summed.
"""

import random
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sparring import clock
from sparring.models import Call, Case
from sparring.statistics import aggregates, compare, impact, live, rollup
from sparring.statistics import figures as statistics
from sparring.statistics.models import CaseFigures, FigureRollup
from sparring.surveys import disclosure
from sparring.surveys.models import Survey, SurveyAnswer
from tests.unit.statistics.test_aggregates import CHANGES, programme  # noqa: F401 (fixture)


def rollup_scopes() -> list[statistics.Scope]:
    """Scopes the rollup serves: everything, each call, whole months (one and several)."""
    scopes = [statistics.Scope()]
    scopes += [statistics.Scope(call=call) for call in Call.objects.order_by("pk")]
    scopes += [
        statistics.Scope(start=date(2021, 9, 1), end=date(2021, 9, 30)),
        statistics.Scope(start=date(2021, 10, 1)),
        statistics.Scope(end=date(2022, 1, 31)),
        statistics.Scope(call=Call.objects.order_by("pk").first(), start=date(2021, 9, 1)),
    ]
    assert all(scope.rollup_serves() for scope in scopes)
    return scopes


def assert_rollup_equal_to_live():
    fresh = aggregates.case_rows(Case.objects.values_list("pk", flat=True)).values()
    assert rollup.check(fresh) == []
    for scope in rollup_scopes():
        assert compare.statistics_differences(scope) == []
        assert statistics.programme_figures(scope) == live.programme_figures(scope)


def test_the_rollup_threshold_is_the_disclosure_rule():
    assert rollup.MIN_ANSWERS == disclosure.MIN_ANSWERS
    assert rollup.RESULT_BITS == len(impact.RESULT_TYPES)


def test_which_scopes_the_rollup_serves():
    assert statistics.Scope().rollup_serves()
    assert statistics.Scope(start=date(2022, 2, 1), end=date(2022, 2, 28)).rollup_serves()
    assert statistics.Scope(start=date(2024, 2, 1), end=date(2024, 2, 29)).rollup_serves()
    assert not statistics.Scope(start=date(2022, 2, 2)).rollup_serves()
    assert not statistics.Scope(end=date(2022, 2, 27)).rollup_serves()


def test_the_rollup_equals_the_live_figures_after_random_changes(programme):  # noqa: F811
    rng = random.Random(29)
    assert FigureRollup.objects.exists()
    for _step in range(25):
        rng.choice(CHANGES)(rng)
        aggregates.refresh()
        assert_rollup_equal_to_live()


def test_a_survey_closing_by_its_time_enters_the_figures_without_a_fold_in(programme):  # noqa: F811
    survey = Survey.objects.filter(case__status=Case.Status.CLOSED).order_by("pk").first()
    for grade in (1, 2, 3):
        SurveyAnswer.objects.create(survey=survey, overall=grade)
    closes = clock.now() + timedelta(days=1)
    Survey.objects.filter(pk=survey.pk).update(closed=False, closes_at=closes)
    aggregates.refresh()
    before = statistics.programme_figures()
    assert before == live.programme_figures()
    with clock.travel(closes + timedelta(hours=1)):
        assert not aggregates.queued()  # nothing moved in the records
        after = statistics.programme_figures()
        assert after == live.programme_figures()
        assert_rollup_equal_to_live()
    answers = CaseFigures.objects.get(case=survey.case_id).survey_answers
    assert after["answers"] == before["answers"] + answers


def test_a_range_of_whole_months_reads_the_rollup_and_any_other_the_rows(programme):  # noqa: F811
    aggregates.refresh()
    whole = statistics.Scope(start=date(2021, 9, 1), end=date(2021, 12, 31))
    part = statistics.Scope(start=date(2021, 9, 7), end=date(2021, 12, 31))
    for scope, reads_rollup in ((whole, True), (part, False)):
        with CaptureQueriesContext(connection) as queries:
            stored = statistics.statistics(scope) | {"impact": impact.impact(scope)}
        sql = " ".join(q["sql"] for q in queries.captured_queries)
        assert ("statistics_figurerollup" in sql) is reads_rollup
        assert stored == live.statistics(scope) | {"impact": live.impact(scope)}


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_rows(programme):  # noqa: F811
    aggregates.refresh()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            statistics.statistics()
            impact.impact()
        return len(captured)

    few = queries()
    rng = random.Random(5)
    for change in CHANGES * 2:
        change(rng)
    aggregates.refresh()
    assert queries() == few


def test_check_aggregates_finds_a_wrong_rollup_row_and_rebuild_repairs_it(programme):  # noqa: F811
    aggregates.refresh()
    FigureRollup.objects.filter(dim=rollup.ALL).update(accepted=99)
    FigureRollup.objects.create(key="stray", call_id=1, dim=rollup.ALL, cases=1)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("check_aggregates", stdout=out)
    assert "FigureRollup" in out.getvalue()
    call_command("check_aggregates", "--rebuild", stdout=StringIO())
    assert_rollup_equal_to_live()
    assert not FigureRollup.objects.filter(key="stray").exists()


def test_the_beat_flags_surveys_past_their_closing_time_and_folds_them_into_the_rollup(
    programme,  # noqa: F811
):
    """A survey past its closing time is flagged closed by the beat's fold-in (the flag
    records what the clock already says: the figures do not move), so the rollup holds
    it and the page's per-case reading of the surveys waiting to close stays short."""
    from sparring.statistics.tasks import fold_in_figures

    surveys = list(Survey.objects.filter(case__status=Case.Status.CLOSED).order_by("pk")[:2])
    due, later = surveys
    for survey in surveys:
        for grade in (2, 3, 4, 5, 5):
            SurveyAnswer.objects.create(survey=survey, overall=grade)
    closes = clock.now() + timedelta(days=1)
    Survey.objects.filter(pk=due.pk).update(closed=False, closes_at=closes)
    Survey.objects.filter(pk=later.pk).update(closed=False, closes_at=closes + timedelta(days=9))
    aggregates.refresh()
    with clock.travel(closes + timedelta(hours=1)):
        before = statistics.statistics() | {"impact": impact.impact()}
        fold_in_figures()
        assert not aggregates.queued()
        assert Survey.objects.get(pk=due.pk).closed
        assert not Survey.objects.get(pk=later.pk).closed  # not yet due
        assert CaseFigures.objects.get(case=due.case_id).survey_closed
        waiting = CaseFigures.objects.filter(has_survey=True, survey_closed=False)
        assert not waiting.filter(survey_closes_at__lte=clock.now()).exists()
        assert statistics.statistics() | {"impact": impact.impact()} == before
        assert_rollup_equal_to_live()
        out = StringIO()
        call_command("check_aggregates", stdout=out)  # exits 1 on a difference


def test_distinct_organisations_are_a_maintained_count_equal_to_the_records(
    programme,  # noqa: F811
):
    """Without a date range the number of organisations with accepted cases (a distinct
    count, not a sum) is read from one maintained row (per call, and the programme's),
    moved by the fold-in when an organisation's first accepted case comes or its last
    goes; ``check_aggregates`` proves it and ``--rebuild`` repairs it."""
    from sparring.models import Organisation

    rng = random.Random(41)
    accepted = list(Case.objects.filter(status=Case.Status.CLOSED).order_by("pk"))
    organisations = list(Organisation.objects.order_by("pk"))
    aggregates.refresh()
    for step in range(12):
        case = rng.choice(accepted)
        if step % 3 == 0:  # to another organisation (maybe its first accepted case)
            Case.objects.filter(pk=case.pk).update(organisation=rng.choice(organisations))
        elif step % 3 == 1:  # no longer accepted (maybe the organisation's last)
            Case.objects.filter(pk=case.pk).update(status=Case.Status.REJECTED)
        else:
            rng.choice(CHANGES)(rng)
        aggregates.refresh()
        assert_rollup_equal_to_live()
        for scope in [statistics.Scope(), *(statistics.Scope(call=c) for c in Call.objects.all())]:
            with CaptureQueriesContext(connection) as queries:
                figures = statistics.programme_figures(scope)
            assert figures["organisations"] == live.programme_figures(scope)["organisations"]
            assert not any("COUNT(DISTINCT" in q["sql"] for q in queries.captured_queries)
    FigureRollup.objects.filter(dim=rollup.ORGANISATIONS).update(organisations=999)
    with pytest.raises(CommandError):
        call_command("check_aggregates", stdout=StringIO())
    call_command("check_aggregates", "--rebuild", stdout=StringIO())
    assert_rollup_equal_to_live()


def test_the_months_invoicing_total_is_a_maintained_sum_equal_to_the_live_one(
    programme,  # noqa: F811
):
    """The invoicing basis's month total (held days and their euros, per agreement and
    supplier) is read from the rollup's per-consultant-and-month rows, not summed over
    the month's days; after random changes of days, prices and consultants it equals
    the live aggregate, and ``check_aggregates`` proves the rows."""
    from procurement import reports
    from procurement.models import FrameworkAgreement, Supplier
    from sparring.models import SessionDay

    rng = random.Random(53)
    aggregates.refresh()
    for _step in range(15):
        rng.choice(CHANGES)(rng)
        aggregates.refresh()
        assert_rollup_equal_to_live()
        months = {d.replace(day=1) for d in SessionDay.objects.values_list("date", flat=True)}
        for agreement in FrameworkAgreement.objects.all():
            for month in [*sorted(months), date(2001, 1, 1)]:
                for supplier in [None, *Supplier.objects.filter(agreement=agreement)]:
                    days = reports.invoicing_rows(agreement, month, supplier)
                    with CaptureQueriesContext(connection) as queries:
                        total = reports.invoicing_total(agreement, month, supplier)
                    assert total == reports.invoicing_total_live(days)
                    assert not any(
                        "sparring_sessionday" in q["sql"] for q in queries.captured_queries
                    )
    call_command("check_aggregates", stdout=StringIO())
