"""Grades by group and their spread, what the reports name: exact figures, and nothing
from fewer than five answers."""

from datetime import date

import pytest

from sparring.demo.programme import Replay
from sparring.statistics import impact
from sparring.statistics.figures import Scope
from tests.unit.statistics.test_statistics_page import planned


@pytest.fixture
def three_cases(transactional_db, reference_data):
    """Two work-community cases (5 + 5 answers) and one on digitalisation (2 answers: a
    closed survey below five answers is no unit and enters no breakdown)."""
    cases = [
        planned(811, when=date(2021, 9, 6)),
        planned(812, when=date(2021, 10, 4)),
        planned(813, theme="digitalisation", sector="transport", when=date(2021, 11, 8)),
    ]
    cases[0].grades = [5, 4, 4, 5, 3]
    cases[1].grades = [5, 5, 3, 4, 4]
    cases[2].grades = [5, 4]
    Replay().run(cases)


def test_grades_by_theme_show_a_mean_only_from_five_answers(three_cases):
    rows = {row["name"]: row for row in impact.grades_by(Scope(), "theme")}
    work = rows["Työyhteisön ja toimintakulttuurin kehittäminen"]
    assert (work["answers"], work["average"]) == (10, 4.2)  # 42 / 10
    # two answers of a closed survey: no unit, so in no breakdown at all
    assert "Digitalisaatio ja uudet toimintatavat" not in rows
    by_sector = {row["name"]: row for row in impact.grades_by(Scope(), "sector")}
    assert "Liikenne" not in by_sector
    for group in ("supplier", "consultant"):
        for row in impact.grades_by(Scope(), group):
            assert row["average"] is None or row["answers"] >= impact.SMALLEST_GROUP


def test_the_spread_of_grades_is_exact_and_hidden_below_five(three_cases):
    spread = impact.grade_distribution(Scope())
    assert spread["answers"] == 10
    assert spread["shares"] == {1: 0.0, 2: 0.0, 3: 20.0, 4: 40.0, 5: 40.0}
    small = impact.grade_distribution(Scope(start=date(2021, 11, 1)))
    assert small == {"answers": 0, "shares": None}


def test_what_the_reports_name(three_cases):
    reports = impact.report_traceability(Scope())
    assert (reports["reports"], reports["with_actions"], reports["with_actions_share"]) == (
        3,
        3,
        100.0,
    )
    named = {row["code"]: row["reports"] for row in reports["result_types"]}
    assert named["shared_understanding"] == 2 and named["ground_rules"] == 2
    assert named["plans"] == 1 and named["division_of_work"] == 1


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Sovitut pelisäännöt ja uusia ideoita", {"ground_rules", "new_ideas"}),
        ("Gemensamma spelregler och tydligare roller", {"ground_rules", "division_of_work"}),
        ("A clearer picture of the future", {"future"}),
        ("", set()),
    ],
)
def test_result_types_by_keyword_in_three_languages(text, codes):
    assert set(impact.result_type_codes(text)) == codes
