"""Template filters of the product."""

from django import template

from sparring.workdays import day_label

register = template.Library()


@register.filter
def day_with_weekday(value) -> str:
    """A date with its weekday, and the holiday's name on a holiday, in the page's language:
    "torstai 24.12.2026 (Jouluaatto)", "måndag 29.3.2027 (Annandag påsk)"."""
    return day_label(value) if value else ""


@register.filter
def css_string(value) -> str:
    """Escape text for use inside a double-quoted CSS string (e.g. @page content)."""
    text = str(value)
    return "".join(f"\\{ord(ch):x} " if ch in '\\"\n\r<>' else ch for ch in text)


@register.filter
def calloff_reasons(reasons) -> str:
    """A call-off candidate's stored reason codes as text in the reader's language."""
    from procurement.calloff import reasons_text

    return reasons_text(reasons)


@register.simple_tag
def case_rows(cases):
    """The rows of the case table (``cases/rows.case_table_rows``)."""
    from sparring.cases.rows import case_table_rows

    return case_table_rows(cases)


@register.simple_tag
def queue_rows(cases, selectable=""):
    """The rows of the queue table (``cases/rows.queue_table_rows``); ``selectable``: the
    id of the form their check boxes belong to."""
    from sparring.cases.rows import queue_table_rows

    return queue_table_rows(cases, selectable or "")


@register.simple_tag
def invoicing_rows(days):
    """The rows of the invoicing basis (``procurement/rows.invoicing_table_rows``)."""
    from procurement.rows import invoicing_table_rows

    return invoicing_table_rows(days)
