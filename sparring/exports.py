"""Downloads as CSV (for Excel in Finland: UTF-8 with a BOM, ';') and XLSX (openpyxl).

One place for the file plumbing of every export: the statistics page, the
invoicing basis, the call-off decision record and the case list build their rows,
these functions write them. Nothing else in the product writes a CSV.

A list that grows with the programme (the case list: 100 000 cases, 20 MB) is
written by ``csv_stream_response``: the answer starts at once and the rows are
written as they are read, a chunk at a time, so neither the time to the first byte
nor the memory grows with the list (session 9: the whole list built in memory took
37.7 s, past gunicorn's 30 s timeout). XLSX cannot be written a row at a time to
the client (a zip whose directory comes last); its lists have a row limit instead
(``cases.list_views.XLSX_MAX_ROWS``).
"""

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A spreadsheet reads a cell that begins with one of these as a formula (or, for
# tab and CR, as the start of one after trimming): OWASP "CSV injection".
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Text that is a plain number ("-0,5", "+3", "1.5") is no formula: it stays as written.
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?\Z")


def neutralise(value):
    """``value`` made safe to open in Excel or LibreOffice (formula injection).

    Args:
        value: any cell value; only text (``str`` or a lazy translation) is changed.

    Returns:
        Text that begins with ``= + - @``, a tab or a carriage return gets a leading
        apostrophe (``'=HYPERLINK(…)``), which spreadsheets show as text and never
        evaluate; text that is a plain number (``-0,5``) and every non-text value
        (numbers, dates, booleans, None) come back unchanged, so real numbers stay
        numbers.
    """
    if isinstance(value, Promise):
        value = str(value)
    if not isinstance(value, str) or not value.startswith(FORMULA_TRIGGERS):
        return value
    if _PLAIN_NUMBER.match(value):
        return value
    return "'" + value


def csv_cell(value):
    """One cell as Finnish Excel reads it.

    Numbers (``Decimal``, ``float``) get a decimal comma, so that Excel set to
    Finnish reads them as numbers and not as text; a datetime is written in
    Helsinki time (``settings.TIME_ZONE``) as ``31.12.2026 23.59``, a date as
    ``31.12.2026``. Integers are written as they are, text through ``neutralise``
    (no formulas).
    """
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%d.%m.%Y %H.%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal | float):
        return str(value).replace(".", ",")  # decimal comma
    return neutralise(value)


def csv_response(filename: str, rows) -> HttpResponse:
    """``rows`` (lists of cells) as ``filename``.csv to download, each cell by ``csv_cell``."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 when the file starts with a BOM
    writer = csv.writer(response, delimiter=";")
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return response


def csv_stream_response(filename: str, rows, *, rows_per_write: int = 200):
    """``rows`` (an iterable of lists of cells, read lazily) as ``filename``.csv, streamed.

    The same file as ``csv_response`` (BOM, ``;``, each cell by ``csv_cell``), sent as
    it is written: ``rows`` is read only while the response is sent, ``rows_per_write``
    rows at a time, so the memory held is one chunk of rows and one of text.

    Args:
        filename: without ``.csv``.
        rows: read after the view has returned, in the active language at the call (it
            is activated again around the reading, as the rows may translate).
        rows_per_write: rows written to the client at a time.

    Returns:
        A ``StreamingHttpResponse`` (``text/csv; charset=utf-8``, an attachment).
    """
    from django.utils import translation

    language = translation.get_language()

    def chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        yield "\ufeff"  # Excel reads UTF-8 when the file starts with a BOM
        with translation.override(language):
            for number, row in enumerate(rows, start=1):
                writer.writerow([csv_cell(value) for value in row])
                if number % rows_per_write == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue()

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _xlsx_cell(value):
    if isinstance(value, Promise | str):
        return neutralise(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime) and timezone.is_aware(value):
        # Excel has no time zones: the wall-clock time in Helsinki
        return timezone.make_naive(timezone.localtime(value))
    return value


def xlsx_response(filename: str, sheets) -> HttpResponse:
    """``sheets`` as (title, rows, header row number) in ``filename``.xlsx to download.

    The header row is bold; dates get the Finnish format, Decimals become numbers.
    Text goes through ``neutralise`` and is stored as a text cell, never as a formula.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows, header_row in sheets:
        sheet = workbook.create_sheet(title[:31])
        for number, row in enumerate(rows, start=1):
            values = [_xlsx_cell(v) for v in row]
            sheet.append(values)
            # (by position: ``sheet.max_row`` scans every cell, once a row made it quadratic)
            for column, value in enumerate(values, start=1):
                if isinstance(value, str) and value.startswith("="):
                    cell = sheet.cell(row=number, column=column)
                    if cell.data_type == "f":
                        cell.data_type = "s"  # openpyxl takes "=…" as a formula; keep it text
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
