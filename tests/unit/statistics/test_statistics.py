"""programme_stats: the figures come from the records; one more case moves exactly its figures."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from sparring.cases import services
from sparring.statistics.figures import programme_figures
from sparring.surveys.models import Survey, SurveyAnswer
from tests.conftest import application_data
from tests.unit.cases.test_case_flow import fresh

pytestmark = pytest.mark.django_db(transaction=True)


def stats() -> dict:
    out = StringIO()
    call_command("programme_stats", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_figures_of_a_delivered_case(reported_case, applicant, coordinator, open_call):
    for grade in (5, 5, 4, 5, 4):
        SurveyAnswer.objects.create(survey=reported_case.survey, overall=grade)
    Survey.objects.filter(case=reported_case).update(closed=True)  # only closed surveys count
    # a rejected and a withdrawn application do not count as accepted
    rejected = services.case_create(actor=applicant, call=open_call, data=application_data())
    services.case_submit(actor=applicant, case=rejected, version=rejected.version)
    services.case_decide(
        actor=coordinator,
        case=fresh(rejected),
        decision="reject",
        comment="Ei",
        version=fresh(rejected).version,
    )
    withdrawn = services.case_create(actor=applicant, call=open_call, data=application_data())
    services.case_submit(actor=applicant, case=withdrawn, version=withdrawn.version)
    services.case_withdraw(
        actor=applicant, case=fresh(withdrawn), reason="Muutos", version=fresh(withdrawn).version
    )

    figures = stats()

    assert figures["accepted_applications"] == 1
    assert figures["organisations"] == 1
    assert figures["days_delivered"] == 2
    assert figures["participants"] == 20
    assert figures["average_grade"] == 4.6
    assert figures["suppliers"] == 1 and figures["consultants"] == 1
    assert figures["by_sector"] == {"Sosiaali- ja terveysala": 1}
    assert figures["by_theme"] == {"Työn kuormitus ja työhyvinvointi": 1}


def test_one_more_accepted_case_moves_exactly_its_figures(
    reported_case, applicant, coordinator, open_call
):
    before = programme_figures()
    case = services.case_create(
        actor=applicant,
        call=open_call,
        data=application_data(whole_organisation=True, sector=None, requested_days=1),
    )
    services.case_submit(actor=applicant, case=case, version=case.version)
    services.case_decide(
        actor=coordinator,
        case=fresh(case),
        decision="approve",
        comment="",
        version=fresh(case).version,
        approved_days=1,
    )

    after = programme_figures()

    assert after["accepted_applications"] == before["accepted_applications"] + 1
    assert after["organisations"] == before["organisations"]  # the same organisation
    assert (
        after["by_sector"]["Koko organisaatio"]
        == before["by_sector"].get("Koko organisaatio", 0) + 1
    )
    assert (
        after["by_theme"]["Työn kuormitus ja työhyvinvointi"]
        == before["by_theme"]["Työn kuormitus ja työhyvinvointi"] + 1
    )
    for unchanged in (
        "days_delivered",
        "participants",
        "average_grade",
        "suppliers",
        "consultants",
    ):
        assert after[unchanged] == before[unchanged], unchanged
