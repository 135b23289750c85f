"""The rows of the case tables, written in Python (issue 17).

At 100 000 cases a list shows a full page (25–50 rows) where a small programme shows
a few, and Django's template engine spent 0.15–0.3 ms on each row of
``includes/case_table.html`` and ``includes/queue_table.html`` (a ``{% url %}``, date
filters, ``timesince`` and ``blocktranslate`` per row): a fifth of the case list's time.
These functions write the same markup, byte for byte, as the row templates they
replace; ``tests/unit/cases/test_table_rows.py`` keeps those templates as the reference
and compares both on varied rows in Finnish, Swedish and English.

The table around the rows (caption, headings) stays in the templates; the rows come
from the ``{% case_rows %}`` and ``{% queue_rows %}`` tags (``sparring_tags``).
"""

import html
from collections.abc import Iterable
from datetime import datetime

from django.template.defaultfilters import timesince_filter
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

#: Stands for a case's id in the case page's address, reversed once per table.
_ID = 918273645


def case_address():
    """A function of a case's id giving its page's address, as ``{% url
    'sparring:case_detail' pk %}`` does (one ``reverse`` per table, not per row)."""
    before, _id, after = reverse("sparring:case_detail", args=[_ID]).rpartition(str(_ID))
    before, after = conditional_escape(before), conditional_escape(after)
    return lambda pk: f"{before}{pk}{after}"


def text(value) -> str:
    """``{{ value }}`` in a template: localised, as text, escaped unless safe."""
    if type(value) is str:  # not a SafeString: escaped as ``django.utils.html.escape`` does
        return html.escape(value)
    return conditional_escape(formats.localize(value))


def date_text(value, format_name: str) -> str:
    """``{{ value|date:format_name }}`` in a template (a datetime in the current time zone)."""
    if value in (None, ""):
        return ""
    return conditional_escape(formats.date_format(timezone.template_localtime(value), format_name))


#: Format characters of ``django.utils.dateformat`` that read the date alone (no time).
_DATE_ONLY = frozenset("dDjlNSwzWFmMnbEtLoyY")


def date_formatter(format_name: str):
    """A function giving ``date_text(value, format_name)``, remembering each day's text
    when the format (in the active language) shows the date alone: a page's rows share
    a few days, and formatting one costs 20 µs."""
    fmt = formats.get_format(format_name)
    if "\\" in fmt or not {c for c in fmt if c.isalpha()} <= _DATE_ONLY:
        return lambda value: date_text(value, format_name)
    days: dict = {}

    def by_day(value) -> str:
        if value in (None, ""):
            return ""
        value = timezone.template_localtime(value)
        day = value.date() if isinstance(value, datetime) else value
        if day not in days:
            days[day] = date_text(day, format_name)
        return days[day]

    return by_day


def case_table_rows(cases: Iterable) -> SafeString:
    """The ``<tr>`` rows of ``includes/case_table.html`` for ``cases`` (rows of
    ``selectors.case_list``: their organisation, sector, theme, consultant and handler
    loaded), in the active language."""
    address = case_address()
    created = date_formatter("SHORT_DATE_FORMAT")
    late = gettext("late")
    handled_by = gettext("handled by %(name)s")
    parts = []
    for case in cases:
        unit = case.unit
        theme = case.theme
        days = case.days
        consultant = case.consultant
        handler = case.handler
        parts.append(
            "\n  <tr>\n"
            f'    <td><a class="case-ref" href="{address(case.pk)}">{text(case)}</a></td>\n'
            f'    <td class="wrap-anywhere">{text(case.organisation.display_name())}'
            + (f'<br><span class="muted">{text(unit)}</span>' if unit else "")
            + "</td>\n"
            f"    <td>{text(case.sector_label())}</td>\n"
            f"    <td>{'–' if theme is None else text(theme)}</td>\n"
            f"    <td>{'–' if days is None else text(days)}</td>\n"
            f'    <td><span class="status status-{text(case.status)}">'
            f"{text(case.get_status_display())}</span>"
            + (f' <strong class="late-mark">{late}</strong>' if case.step_late else "")
            + (
                '<br><span class="muted">'
                f"{handled_by % {'name': text(handler.get_full_name())}}</span>"
                if handler
                else ""
            )
            + "</td>\n"
            f"    <td>{text(consultant) if consultant else '–'}</td>\n"
            f"    <td>{created(case.created)}</td>\n"
            "  </tr>\n  "
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by text/date_text)


def queue_table_rows(cases: Iterable, selectable: str = "") -> SafeString:
    """The ``<tr>`` rows of ``includes/queue_table.html`` for ``cases`` (rows of
    ``selectors.WaitingCases`` with ``waiting_since``), in the active language.

    Args:
        selectable: the id of the form the rows' check boxes belong to ("": none).
    """
    address = case_address()
    select = gettext("Select %(ref)s")
    ago = gettext("%(since)s ago")
    form = text(selectable)
    parts = []
    for case in cases:
        pk = text(case.pk)
        unit = case.unit
        since = case.waiting_since
        handler = case.handler
        row = ["\n  <tr>\n    "]
        if selectable:
            row.append(
                f'<td><input type="checkbox" name="cases" value="{pk}" id="select-{pk}" '
                f'form="{form}"><label for="select-{pk}" class="visually-hidden">'
                f"{select % {'ref': text(case)}}</label></td>"
            )
        row.append(
            "\n"
            f'    <td><a class="case-ref" href="{address(case.pk)}">{text(case)}</a></td>\n'
            f'    <td class="wrap-anywhere">{text(case.organisation.display_name())}'
            + (f'<br><span class="muted">{text(unit)}</span>' if unit else "")
            + "</td>\n"
            f'    <td><span class="status status-{text(case.status)}">'
            f"{text(case.get_status_display())}</span></td>\n"
            "    <td>"
        )
        if since:
            row.append(
                f'<time datetime="{date_text(since, "c")}">'
                f'{date_text(since, "SHORT_DATETIME_FORMAT")}</time><br><span class="muted">'
                f"{ago % {'since': text(timesince_filter(since))}}</span>"
            )
        else:
            row.append("–")
        row.append(
            "</td>\n    <td>"
            + (text(handler.get_full_name() or handler.get_username()) if handler else "–")
            + f"</td>\n    <td>{text(case.call.display_title)}</td>\n  </tr>\n  "
        )
        parts.append("".join(row))
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by text/date_text)
