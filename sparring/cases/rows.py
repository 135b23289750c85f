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

from collections.abc import Iterable

from django.template.defaultfilters import timesince_filter
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

#: Stands for a case's id in the case page's address, reversed once per table.
_ID = 918273645


def _case_address():
    """A function of a case's id giving its page's address, as ``{% url
    'sparring:case_detail' pk %}`` does (one ``reverse`` per table, not per row)."""
    before, _id, after = reverse("sparring:case_detail", args=[_ID]).rpartition(str(_ID))
    before, after = conditional_escape(before), conditional_escape(after)
    return lambda pk: f"{before}{pk}{after}"


def _text(value) -> str:
    """``{{ value }}``: localised, as text, escaped unless safe."""
    return conditional_escape(formats.localize(value))


def _date(value, format_name: str) -> str:
    """``{{ value|date:format_name }}`` for a datetime (in the current time zone)."""
    if value in (None, ""):
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return conditional_escape(formats.date_format(value, format_name))


def case_table_rows(cases: Iterable) -> SafeString:
    """The ``<tr>`` rows of ``includes/case_table.html`` for ``cases`` (rows of
    ``selectors.case_list``: their organisation, sector, theme, consultant and handler
    loaded), in the active language."""
    address = _case_address()
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
            f'    <td><a href="{address(case.pk)}">{_text(case)}</a></td>\n'
            f'    <td class="wrap-anywhere">{_text(case.organisation.display_name())}'
            + (f'<br><span class="muted">{_text(unit)}</span>' if unit else "")
            + "</td>\n"
            f"    <td>{_text(case.sector_label())}</td>\n"
            f"    <td>{'–' if theme is None else _text(theme)}</td>\n"
            f"    <td>{'–' if days is None else _text(days)}</td>\n"
            f'    <td><span class="status status-{_text(case.status)}">'
            f"{_text(case.get_status_display())}</span>"
            + (f' <strong class="late-mark">{late}</strong>' if case.step_late else "")
            + (
                '<br><span class="muted">'
                f"{handled_by % {'name': _text(handler.get_full_name())}}</span>"
                if handler
                else ""
            )
            + "</td>\n"
            f"    <td>{_text(consultant) if consultant else '–'}</td>\n"
            f"    <td>{_date(case.created, 'SHORT_DATE_FORMAT')}</td>\n"
            "  </tr>\n  "
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by _text/_date)


def queue_table_rows(cases: Iterable, selectable: str = "") -> SafeString:
    """The ``<tr>`` rows of ``includes/queue_table.html`` for ``cases`` (rows of
    ``selectors.WaitingCases`` with ``waiting_since``), in the active language.

    Args:
        selectable: the id of the form the rows' check boxes belong to ("": none).
    """
    address = _case_address()
    select = gettext("Select %(ref)s")
    ago = gettext("%(since)s ago")
    form = _text(selectable)
    parts = []
    for case in cases:
        pk = _text(case.pk)
        unit = case.unit
        since = case.waiting_since
        handler = case.handler
        row = ["\n  <tr>\n    "]
        if selectable:
            row.append(
                f'<td><input type="checkbox" name="cases" value="{pk}" id="select-{pk}" '
                f'form="{form}"><label for="select-{pk}" class="visually-hidden">'
                f"{select % {'ref': _text(case)}}</label></td>"
            )
        row.append(
            "\n"
            f'    <td><a href="{address(case.pk)}">{_text(case)}</a></td>\n'
            f'    <td class="wrap-anywhere">{_text(case.organisation.display_name())}'
            + (f'<br><span class="muted">{_text(unit)}</span>' if unit else "")
            + "</td>\n"
            f'    <td><span class="status status-{_text(case.status)}">'
            f"{_text(case.get_status_display())}</span></td>\n"
            "    <td>"
        )
        if since:
            row.append(
                f'<time datetime="{_date(since, "c")}">'
                f'{_date(since, "SHORT_DATETIME_FORMAT")}</time><br><span class="muted">'
                f"{ago % {'since': _text(timesince_filter(since))}}</span>"
            )
        else:
            row.append("–")
        row.append(
            "</td>\n    <td>"
            + (_text(handler.get_full_name() or handler.get_username()) if handler else "–")
            + f"</td>\n    <td>{_text(case.call.display_title)}</td>\n  </tr>\n  "
        )
        parts.append("".join(row))
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by _text/_date)
