"""The case list as CSV or XLSX (issue 14, item 4): what the user may see, nothing more, with
the list's filters and search."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sparring.cases import services
from tests.unit.cases.test_case_views import submit_new

pytestmark = pytest.mark.django_db


def csv_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.getvalue().decode("utf-8-sig")  # streamed (session 9)
    return [line.split(";") for line in text.strip().splitlines()]


@pytest.fixture
def two_organisations(submitted_case, other_applicant, open_call, coordinator):
    other = submit_new(other_applicant, open_call, unit="Perusopetus", goal="Opettajien yhteistyö.")
    services.case_take(actor=coordinator, case=submitted_case, version=None)
    return submitted_case, other


def test_the_coordinator_exports_every_case_with_the_responsible_coordinator(
    two_organisations, coordinator, client_for
):
    own, other = two_organisations
    rows = csv_rows(client_for(coordinator).get(reverse("sparring:case_list_export", args=["csv"])))
    assert rows[0][0] == "Tunnus" and rows[0][-1] == "Vastuukoordinaattori"
    references = {row[0] for row in rows[1:]}
    assert references == {own.reference, other.reference}
    assert any("Kaisa Testinen" in row for row in rows[1:])


def test_an_applicant_exports_only_their_organisations_cases_without_internal_columns(
    two_organisations, applicant, client_for
):
    own, _other = two_organisations
    rows = csv_rows(client_for(applicant).get(reverse("sparring:case_list_export", args=["csv"])))
    assert [row[0] for row in rows[1:]] == [own.reference]
    assert "Vastuukoordinaattori" not in rows[0]
    assert not any("Kaisa Testinen" in cell for row in rows for cell in row)


def test_the_export_follows_the_search_and_comes_as_xlsx(
    two_organisations, coordinator, client_for
):
    _own, other = two_organisations
    response = client_for(coordinator).get(
        reverse("sparring:case_list_export", args=["xlsx"]), {"q": "Opettajien"}
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values == [other.reference]


def test_the_export_is_for_case_roles_and_known_formats_only(steering, coordinator, client_for):
    assert (
        client_for(steering).get(reverse("sparring:case_list_export", args=["csv"])).status_code
        == 403
    )
    assert (
        client_for(coordinator).get(reverse("sparring:case_list_export", args=["pdf"])).status_code
        == 404
    )


def test_the_export_runs_the_same_queries_for_two_or_six_cases(
    two_organisations, applicant, open_call, coordinator, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(coordinator)
    url = reverse("sparring:case_list_export", args=["csv"])
    client.get(url)
    with CaptureQueriesContext(connection) as two:
        assert len(csv_rows(client.get(url))) == 3
    for n in range(4):
        case = submit_new(applicant, open_call, unit=f"Yksikkö {n}")
        services.case_take(actor=coordinator, case=case, version=None)
    with CaptureQueriesContext(connection) as six:
        assert len(csv_rows(client.get(url))) == 7
    assert len(six) == len(two)


def test_junk_filters_are_no_error(two_organisations, coordinator, client_for):
    client = client_for(coordinator)
    for params in ({"call": "abc", "status": "zzz"}, {"q": "\x00" * 3}, {"page": "-1"}):
        assert (
            client.get(reverse("sparring:case_list_export", args=["csv"]), params).status_code
            == 200
        )
        assert client.get(reverse("sparring:case_list"), params).status_code == 200


def test_an_xlsx_over_the_row_limit_sends_back_to_the_list_with_a_message(
    two_organisations, coordinator, client_for, settings
):
    settings.SPARRING_XLSX_EXPORT_MAX_ROWS = 1
    client = client_for(coordinator)
    url = reverse("sparring:case_list_export", args=["xlsx"])
    response = client.get(url, {"progress": "open"})
    assert response.status_code == 302
    assert response["Location"] == reverse("sparring:case_list") + "?progress=open"
    page = client.get(response["Location"]).content.decode()
    assert "enintään 1" in page and "CSV" in page
    settings.SPARRING_XLSX_EXPORT_MAX_ROWS = 2
    assert client.get(url).status_code == 200
