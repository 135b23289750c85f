"""Long unbreakable text wraps inside the column of the report PDF and survives text
extraction (issue 18, item 1).

A shared-drive link, a long Finnish compound or an identifier without spaces used to
run past the right margin and be cut at the paper's edge, and so was missing from
the text that pdftotext and pypdf extract.
"""

import io
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from sparring.models import Case, Organisation
from sparring.reports import pdf
from sparring.reports.models import Report

pytestmark = pytest.mark.django_db(transaction=True)

A4_WIDTH_PT = 595.28
RIGHT_MARGIN_PT = 20 / 25.4 * 72  # static/pdf/report.css: 20 mm

# the field report's three values
LINK = (
    "https://kuntaorganisaatio.sharepoint.com/sites/Henkilostopalvelut/Jaetut%20asiakirjat/"
    + "Sparraus/2026/Kotihoito/Tyopajat/" * 6
)[:330]
COMPOUND = (
    "kotihoidon" + "työhyvinvointi" + "kehittämis" + "suunnitelma" + "seuranta" + "ryhmä"
) * 2
COMPOUND = COMPOUND[:95]
IDENTIFIER = ("SP-2026-0001-KOTIHOITO-" + "A1B2C3D4E5F6G7H8I9J0" * 6)[:120]
# more of the same kind: a long e-mail address in the identification table, a
# Swedish compound, an IBAN-like run of digits and a path with underscores
EMAIL = "kotihoidon.tyohyvinvoinnin.kehittamisryhman.yhteyshenkilo.itainen.alue@" + (
    "tampereenkaupunki.example.fi"
)
SWEDISH = "hemvårdsarbetsmiljöutvecklingsplaneuppföljningsgruppsmötesprotokollsbilaga" * 2
DIGITS = "FI" + "1234567890" * 15
UNDERSCORES = "C:\\Tiedostot\\" + "sparraus_raportti_luonnos_versio_" * 5 + "final.docx"

LONG_VALUES = [LINK, COMPOUND, IDENTIFIER, EMAIL, SWEDISH, DIGITS, UNDERSCORES]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def long_report_pdf(reported_case, tmp_path) -> Path:
    Report.objects.filter(case=reported_case).update(
        implementation=f"Työpajojen aineisto: {LINK}",
        themes_covered=f"Keskeinen käsite oli {COMPOUND} ja sen seuranta.",
        results=f"Tunniste {IDENTIFIER} kirjattiin.",
        follow_up=f"{SWEDISH} – tilinumero {DIGITS}",
        refined_goal=f"Luonnos {UNDERSCORES}",
    )
    Case.objects.filter(pk=reported_case.pk).update(unit=EMAIL)
    Organisation.objects.filter(pk=reported_case.organisation_id).update(
        name_fi="Kotihoidon" + "kehittämis" * 8 + "kuntayhtymä"
    )
    case = Case.objects.get(pk=reported_case.pk)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.render_pdf(pdf.report_html(case)))
    return path


def test_nothing_runs_past_the_right_margin(long_report_pdf, tmp_path):
    html = tmp_path / "bbox.html"
    subprocess.run(["pdftotext", "-bbox", str(long_report_pdf), str(html)], check=True)
    words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', html.read_text())
    assert words
    right_edge = A4_WIDTH_PT - RIGHT_MARGIN_PT + 1  # a point of tolerance
    beyond = [(float(a), float(b)) for a, b in words if float(b) > right_edge]
    assert not beyond, f"{len(beyond)} words end past the margin, e.g. {beyond[:3]}"


@pytest.mark.parametrize(
    "value",
    LONG_VALUES,
    ids=["link", "compound", "identifier", "email", "swedish", "digits", "underscores"],
)
def test_long_text_survives_text_extraction(long_report_pdf, value):
    extracted = subprocess.run(
        ["pdftotext", "-layout", str(long_report_pdf), "-"], check=True, capture_output=True
    ).stdout.decode()
    assert squeeze(value) in squeeze(extracted), "pdftotext lost part of it"
    reader = PdfReader(io.BytesIO(long_report_pdf.read_bytes()))
    text = "".join(page.extract_text() for page in reader.pages)
    assert squeeze(value) in squeeze(text), "pypdf lost part of it"
