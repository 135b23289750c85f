"""The statistics page's figures with thousands separators in the reader's language
(session 10, item 3): 24 894 in Finnish and Swedish (a no-break space, so that a figure
never breaks across lines), 24,894 in English; decimals keep the language's decimal sign.
The CSV and XLSX exports are for machines and keep plain numbers (24894)."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sparring.statistics import views

pytestmark = pytest.mark.django_db

URL = reverse("sparring:statistics")
BIG = 24894
GROUPED = {"fi": "24\xa0894", "sv": "24\xa0894", "en": "24,894"}
DECIMAL = {"fi": "1\xa0234,5", "sv": "1\xa0234,5", "en": "1,234.5"}


@pytest.fixture
def big_figures(monkeypatch, reference_data):
    """The page's figures as the real reads give them, every count set to 24894 and the
    lead times to 1234.5 days."""
    real_statistics, real_impact = views.statistics.statistics, views.impact.impact

    def statistics(scope):
        data = real_statistics(scope)
        figures = data["figures"]
        for key in (
            "accepted_applications",
            "organisations",
            "days_delivered",
            "participants",
            "suppliers",
            "consultants",
            "answers",
        ):
            figures[key] = BIG
        figures["by_sector"] = {"sector-x": BIG}
        figures["by_theme"] = {"theme-x": BIG}
        data["lead_times"] = dict.fromkeys(data["lead_times"], 1234.5)
        data["funnel"] = [{"label": "Step-x", "cases": BIG}]
        data["statuses"] = [{"label": "Status-x", "cases": BIG}]
        data["suppliers"] = [{"supplier": "Supplier-x", "cases": BIG, "days": BIG}]
        data["consultants"] = [
            {"consultant": "Consultant-x", "supplier": "Supplier-x", "cases": BIG, "days": BIG}
        ]
        return data

    def impact(scope):
        data = real_impact(scope)
        for group in data["grades_by"]:
            data["grades_by"][group] = [{"name": "Group-x", "answers": BIG, "average": 4.2}]
        data["grade_distribution"]["answers"] = BIG
        data["reports"]["reports"] = BIG
        data["reports"]["with_actions"] = BIG
        data["reports"]["result_types"] = [{"label": "Result-x", "reports": BIG}]
        follow_up = data["follow_up"]
        follow_up["sent"] = BIG
        follow_up["answers"] = BIG
        for group in ("theme", "sector"):
            follow_up[f"impact_by_{group}"] = [{"name": "Group-x", "answers": BIG, "average": 4.2}]
        return data

    monkeypatch.setattr(views.statistics, "statistics", statistics)
    monkeypatch.setattr(views.impact, "impact", impact)


def page(client, language):
    client.cookies["sparring_language"] = language
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_figure_has_the_languages_thousands_separator(
    language, big_figures, steering, client_for
):
    html = page(client_for(steering), language)

    assert str(BIG) not in html
    # headline figures (8 but the grade and rates), charts and their tables, the tables,
    # the impact section: every place the count is shown
    assert html.count(GROUPED[language]) >= 30
    assert html.count(DECIMAL[language]) == len(views.statistics.LEAD_TIMES)


def test_the_exports_keep_plain_numbers(big_figures, steering, client_for):
    client = client_for(steering)
    client.cookies["sparring_language"] = "fi"

    response = client.get(URL, {"format": "csv"})
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
    if len(cells) < 10:  # not ; separated
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert str(BIG) in cells
    assert GROUPED["fi"] not in text and GROUPED["en"] not in text

    response = client.get(URL, {"format": "xlsx"})
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(content))
    values = [cell.value for sheet in book for row in sheet.iter_rows() for cell in row]
    assert BIG in values
    assert not any(isinstance(v, str) and GROUPED["fi"] in v for v in values)
