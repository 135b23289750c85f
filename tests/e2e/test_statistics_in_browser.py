"""The steering group opens the statistics of the seeded 2021–2022 programme and downloads both exports."""

import csv
import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_steering_viewer_sees_the_programme_figures_and_downloads_them(
    page, steering, reference_data, settings
):
    settings.DEBUG = True
    call_command("seed_programme")

    login(page, steering.username, PASSWORD)
    page.wait_for_url("**/steering/")
    page.get_by_role("link", name="Tilastot").click()
    page.wait_for_url("**/statistics/")
    assert page.get_by_role("heading", level=1).inner_text() == "Ohjelman tilastot"

    def figure(key: str) -> str:
        return page.locator(f'[data-figure="{key}"] .value').inner_text()

    assert figure("accepted_applications") == "72"
    assert figure("organisations") == "49"
    assert figure("days_delivered") == "127"
    assert figure("participants") == "1\xa0690"  # thousands grouped (no-break space); the CSV: 1690
    assert figure("average_grade") == "4,7"
    assert figure("suppliers") == "8"
    assert figure("consultants") == "11"
    # every chart comes with its data as a table
    sectors = page.get_by_role("table", name="Hyväksytyt hakemukset toimialoittain: kaavion tiedot")
    assert sectors.get_by_role("row", name="Koko organisaatio 13").is_visible()
    assert sectors.get_by_role("row", name="Sosiaali- ja terveysala 14").is_visible()
    assert_accessible(page)

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Lataa CSV").click()
    rows = list(
        csv.reader(
            io.StringIO(open(csv_download.value.path(), encoding="utf-8-sig").read()),
            delimiter=";",
        )
    )
    assert ["Hyväksytyt hakemukset", "72"] in rows
    assert ["Osallistujamäärä", "1690"] in rows
    assert csv_download.value.suggested_filename.endswith(".csv")

    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Lataa Excel (XLSX)").click()
    workbook = load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes()))
    headline = {row[0]: row[1] for row in workbook.worksheets[0].iter_rows(values_only=True)}
    assert headline["Sparrauspäivät"] == 127
    assert headline["Keskiarvosana (1–5)"] == 4.7
    themes = {row[0]: row[1] for row in workbook.worksheets[2].iter_rows(values_only=True)}
    assert themes["Työyhteisön ja toimintakulttuurin kehittäminen"] == 26

    # filtering by a date range narrows the figures, and the page says which range
    page.get_by_label("Hakemukset jätetty alkaen").fill("2022-01-01")
    page.get_by_role("button", name="Näytä").click()
    page.wait_for_url("**start=2022-01-01**")
    assert int(figure("accepted_applications")) < 72
    assert_accessible(page)
