"""The statistics page: figures from the records, filters, exports, who may see it, constant queries."""

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from sparring.demo.programme import CALL, PlannedCase, Replay
from sparring.statistics import aggregates
from sparring.statistics import figures as statistics

URL = reverse("sparring:statistics")


def planned(n, *, sector="education", theme="work-community", days=2, outcome="delivered", when):
    return PlannedCase(
        n=n,
        organisation="0211675-2" if n % 2 else "0101263-6",
        sector=sector,
        theme=theme,
        requested_days=days,
        approved_days=days,
        outcome=outcome,
        participants=[10, 8][:days] if outcome == "delivered" else [],
        grades=[5, 4, 4, 5, 4] if outcome == "delivered" else [],
        submitted=when,
    )


@pytest.fixture
def two_cases(transactional_db, reference_data):
    """One case in autumn 2021, one in spring 2022 (rejected), driven through the flow.

    Transactional: the flow's background job (the report PDF) runs after commit."""
    Replay().run(
        [
            planned(801, when=date(2021, 9, 6)),
            planned(
                802, sector=None, theme="co-development", outcome="rejected", when=date(2022, 3, 7)
            ),
        ]
    )


def page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries)


def test_the_page_shows_figures_computed_from_the_cases(two_cases, steering, client_for):
    client = client_for(steering)
    page = client.get(URL).content.decode()
    figures = statistics.programme_figures()
    assert figures["accepted_applications"] == 1
    assert figures["days_delivered"] == 2
    assert figures["participants"] == 18
    assert figures["average_grade"] == 4.4  # (5 + 4 + 4 + 5 + 4) / 5, a closed survey
    assert 'data-figure="participants"><span class="value">18<' in page
    assert "4,4" in page  # Finnish decimal comma
    funnel = {row["step"]: row["cases"] for row in statistics.funnel()}
    assert funnel == {
        "submitted": 2,
        "approved": 1,
        "called_off": 1,
        "held": 1,
        "reported": 1,
        "closed": 1,
    }
    lead = statistics.lead_times()
    assert lead["application_to_decision"] > 0
    assert lead["decision_to_first_day"] > lead["application_to_decision"]
    assert lead["last_day_to_report"] > 0


def test_filters_by_call_and_date_range(two_cases, coordinator, client_for):
    from sparring.models import Call

    client = client_for(coordinator)
    spring = client.get(URL, {"start": "2022-01-01", "end": "2022-12-31"}).context["data"]
    assert spring["figures"]["accepted_applications"] == 0
    assert [row["cases"] for row in spring["funnel"]][:2] == [1, 0]  # submitted, approved
    autumn = client.get(URL, {"end": "2021-12-31"}).context["data"]
    assert autumn["figures"]["accepted_applications"] == 1

    other = Call.objects.create(
        title="Toinen haku",
        opens_at=CALL["opens_at"],
        closes_at=CALL["closes_at"],
        delivery_starts=CALL["delivery_starts"],
        delivery_ends=CALL["delivery_ends"],
        day_budget=10,
    )
    by_call = client.get(URL, {"call": other.pk}).context["data"]
    assert by_call["figures"]["accepted_applications"] == 0
    programme_call = Call.objects.get(title=CALL["title"])
    assert (
        client.get(URL, {"call": programme_call.pk}).context["data"]["figures"]["days_delivered"]
        == 2
    )


def test_bad_filters_get_a_clear_message_not_an_error(two_cases, steering, client_for):
    client = client_for(steering)
    response = client.get(URL, {"start": "31.13.2021", "end": "2021-01-01", "call": "x"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page
    assert response.context["form"].errors
    # the figures still show, for all cases
    assert response.context["data"]["figures"]["accepted_applications"] == 1
    reversed_range = client.get(URL, {"start": "2022-02-01", "end": "2022-01-01"})
    assert "end" in reversed_range.context["form"].errors


def test_csv_and_xlsx_exports_hold_the_same_figures(two_cases, steering, client_for):
    client = client_for(steering)
    response = client.get(URL, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    as_text = {tuple(row) for row in rows}
    assert ("Hyväksytyt hakemukset", "1") in as_text
    assert ("Osallistujamäärä", "18") in as_text
    assert ("Keskiarvosana (1–5)", "4,4") in as_text

    response = client.get(URL, {"format": "xlsx", "end": "2021-12-31"})
    workbook = load_workbook(io.BytesIO(response.content))
    headline = {row[0]: row[1] for row in workbook.worksheets[0].iter_rows(values_only=True)}
    assert headline["Sparrauspäivät"] == 2
    assert headline["Keskiarvosana (1–5)"] == 4.4
    assert "31.12.2021" in workbook.worksheets[0]["A1"].value
    sheets = [sheet.title for sheet in workbook.worksheets]
    # the seven main tables, then grades by group, their spread, the reports, the follow-up
    assert len(sheets) == 16
    assert {"Arvosanat toimialoittain", "Arvosanojen jakauma", "Seurantakysely"} <= set(sheets)
    grades = {
        row[0]: row[1:] for row in workbook["Arvosanat teemoittain"].iter_rows(values_only=True)
    }
    rows = list(grades.values())[2:]
    assert rows and all(average is None or answers >= 5 for answers, average in rows)


@pytest.mark.parametrize("role", ["applicant", "consultant"])
def test_only_coordinators_and_the_steering_group_see_statistics(role, users_by_role, client_for):
    client = client_for(users_by_role[role])
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"format": "csv"}).status_code == 403
    assert client.get(URL, {"format": "xlsx"}).status_code == 403


def test_the_page_keeps_a_constant_number_of_queries(two_cases, steering, client_for):
    client = client_for(steering)
    # The first reader folds the queued changes in: one fold-in round more (bounded,
    # whatever the rows); after it the fold-in is a single EXISTS. Counts are compared
    # with the queue in the same (empty) state.
    folding = page_queries(client)
    few = page_queries(client)
    assert few <= folding <= few + aggregates.FOLD_IN_QUERIES
    Replay().run(
        [
            planned(803, sector="transport", theme="digitalisation", when=date(2021, 10, 4)),
            planned(
                804, sector="social-health", theme="remote-work", days=1, when=date(2021, 11, 8)
            ),
            planned(805, sector=None, theme="workload-wellbeing", when=date(2022, 1, 10)),
            planned(806, outcome="withdrawn", when=date(2022, 2, 7)),
        ]
    )
    assert statistics.programme_figures()["accepted_applications"] == 4
    assert page_queries(client) == few
