"""Downloads as CSV (for Excel in Finland: UTF-8 with a BOM, ';') and XLSX (openpyxl).

One place for the file plumbing of every export: the statistics page and the
invoicing basis build their rows, these functions write them.
"""

import csv
import io
from datetime import date
from decimal import Decimal

from django.http import HttpResponse

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_cell(value):
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float):
        return str(value).replace(".", ",")  # decimal comma
    return value


def csv_response(filename: str, rows) -> HttpResponse:
    """``rows`` (lists of cells) as ``filename``.csv to download."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 when the file starts with a BOM
    writer = csv.writer(response, delimiter=";")
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return response


def xlsx_response(filename: str, sheets) -> HttpResponse:
    """``sheets`` as (title, rows, header row number) in ``filename``.xlsx to download.

    The header row is bold; dates get the Finnish format, Decimals become numbers.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows, header_row in sheets:
        sheet = workbook.create_sheet(title[:31])
        for row in rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
        for cell in sheet[header_row] if sheet.max_row >= header_row else ():
            cell.font = Font(bold=True)
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, date):
                    cell.number_format = "D.M.YYYY"
        sheet.column_dimensions["A"].width = 40
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
