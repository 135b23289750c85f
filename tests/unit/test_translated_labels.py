"""Labels of sectors, themes, statistics exports and the flow chart in the reader's language
(issue 16 item 5)."""

import io

import openpyxl
from django.utils import translation

from sparring.models import Sector, Theme


def test_statistics_exports_name_sectors_and_themes_in_the_requesters_language(
    reported_case, coordinator, client_for
):
    client = client_for(coordinator)
    client.cookies["sparring_language"] = "sv"
    sector, theme = reported_case.sector, reported_case.theme
    assert sector.name_sv != sector.name_fi and theme.name_sv != theme.name_fi
    csv = client.get("/statistics/?format=csv").content.decode("utf-8-sig")
    assert sector.name_sv in csv and theme.name_sv in csv
    assert sector.name_fi not in csv and theme.name_fi not in csv
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/statistics/?format=xlsx").content))
    cells = {c for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row}
    assert sector.name_sv in cells and theme.name_sv in cells
    client.cookies["sparring_language"] = "fi"
    csv = client.get("/statistics/?format=csv").content.decode("utf-8-sig")
    assert sector.name_fi in csv and theme.name_fi in csv


def test_whole_organisation_is_translated_in_the_export(reported_case, coordinator, client_for):
    type(reported_case).objects.filter(pk=reported_case.pk).update(sector=None)
    client = client_for(coordinator)
    client.cookies["sparring_language"] = "sv"
    csv = client.get("/statistics/?format=csv").content.decode("utf-8-sig")
    assert "Koko organisaatio" not in csv
    with translation.override("sv"):
        assert translation.gettext("Whole organisation") in csv


def test_every_sector_and_theme_has_swedish_and_english_names(reference_data):
    for model in (Sector, Theme):
        for item in model.objects.all():
            assert item.name_sv and item.name_en, item


def test_the_flow_chart_labels_are_translated_and_in_sentence_case(
    reported_case, coordinator, client_for
):
    client = client_for(coordinator)
    # (a label is wrapped at 20 characters: "Rapportens PDF" / "skapas")
    for language, label in (("fi", "Raportin PDF tehdään"), ("sv", "Rapportens PDF")):
        client.cookies["sparring_language"] = language
        svg = client.get(f"/cases/{reported_case.pk}/chart.svg").content.decode()
        assert label in svg, language
        assert "Pdf" not in svg
    page = client.get(f"/cases/{reported_case.pk}/").content.decode()
    # shown at its natural size (12 px labels stay 12 px), scrolling in a named region
    assert 'width="2200"' in page
    assert '<div class="chart-scroll" role="region" aria-labelledby="chart-heading"' in page


def test_a_cases_status_label_is_the_statuss_label_in_the_active_language():
    """``Case.get_status_display`` (written for speed, issue 17) says what Django's did:
    every status's label in fi, sv and en, and an unknown stored value as it is."""
    from django.utils import translation

    from sparring.models import Case

    for language in ("fi", "sv", "en"):
        with translation.override(language):
            for value, label in Case.Status.choices:
                assert Case(status=value).get_status_display() == str(label)
    assert Case(status="no-such-step").get_status_display() == "no-such-step"
