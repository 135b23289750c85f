"""The rows of the monthly invoicing basis page, written in Python (issue 17).

A page shows up to 100 held days; through the template each row cost 0.1 ms (a
``{% url %}``, a date and ``floatformat`` per row), most of the page's own time at
100 000 cases. ``invoicing_table_rows`` writes the same markup, byte for byte, as the
row template it replaces (kept as the reference in
``tests/unit/procurement/test_invoicing_rows.py``).
"""

from collections.abc import Iterable

from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe

from sparring.cases.rows import case_address, date_formatter, text


def invoicing_table_rows(days: Iterable) -> SafeString:
    """The ``<tr>`` rows of ``procurement/invoicing.html`` for ``days`` (rows of
    ``reports.invoicing_rows``), in the active language."""
    address = case_address()
    day_text = date_formatter("SHORT_DATE_FORMAT")
    parts = []
    for day in days:
        case = day.case
        consultant = case.consultant
        parts.append(
            "\n  <tr>"
            f"<td>{text(consultant.supplier.display_name())}</td>"
            f"<td>{text(consultant)}</td>"
            f'<td><a href="{address(case.pk)}">{text(case.reference)}</a></td>'
            f"<td>{text(case.organisation.display_name())}</td>"
            f"<td>{day_text(day.date)}</td>"
            f"<td>{text(day.participants)}</td>"
            f"<td>{text(floatformat(case.agreed_day_price, '2g'))}</td>"
            "</tr>\n  "
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by text/date_formatter)
