"""The case tables' rows are written in Python (``cases/rows.py``; issue 17) and give,
byte for byte, what their templates gave.

The row templates as they were are kept here (``CASE_ROWS``, ``QUEUE_ROWS``) as the
reference (with the reference link's ``case-ref`` class, added to both in session 11). Every page that shows the tables (the case list, the role homes, the queue,
My cases) is read for each role in Finnish, Swedish and English, once with the new rows
and once with the reference rows, on a programme with varied rows: every waiting step,
finished cases, a draft without a reference, a late step, cases handled by a
coordinator, bilingual names, no sector or theme, text that needs escaping.
"""

import datetime as real_datetime
import re
import types

import pytest
from django.conf import settings
from django.template import engines
from django.test import Client
from django.utils import timezone

from procurement.models import Supplier
from sparring.cases import rows
from sparring.models import Case, Organisation, StepDeadline, User
from tests.unit.api.test_late_and_task_lists import programme  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

#: ``includes/case_table.html``'s rows before ``{% case_rows %}``.
CASE_ROWS = """{% load i18n %}{% for case in cases %}
  <tr>
    <td><a class="case-ref" href="{% url 'sparring:case_detail' case.pk %}">{{ case }}</a></td>
    <td class="wrap-anywhere">{{ case.organisation.display_name }}{% if case.unit %}<br><span class="muted">{{ case.unit }}</span>{% endif %}</td>
    <td>{{ case.sector_label }}</td>
    <td>{{ case.theme|default_if_none:"–" }}</td>
    <td>{{ case.days|default_if_none:"–" }}</td>
    <td><span class="status status-{{ case.status }}">{{ case.get_status_display }}</span>{% if case.step_late %} <strong class="late-mark">{% translate "late" %}</strong>{% endif %}{% if case.handler %}<br><span class="muted">{% blocktranslate with name=case.handler.get_full_name %}handled by {{ name }}{% endblocktranslate %}</span>{% endif %}</td>
    <td>{{ case.consultant|default:"–" }}</td>
    <td>{{ case.created|date:"SHORT_DATE_FORMAT" }}</td>
  </tr>
  {% endfor %}"""

#: ``includes/queue_table.html``'s rows before ``{% queue_rows %}``.
QUEUE_ROWS = """{% load i18n %}{% for case in cases %}
  <tr>
    {% if selectable %}<td><input type="checkbox" name="cases" value="{{ case.pk }}" id="select-{{ case.pk }}" form="{{ selectable }}"><label for="select-{{ case.pk }}" class="visually-hidden">{% blocktranslate with ref=case %}Select {{ ref }}{% endblocktranslate %}</label></td>{% endif %}
    <td><a class="case-ref" href="{% url 'sparring:case_detail' case.pk %}">{{ case }}</a></td>
    <td class="wrap-anywhere">{{ case.organisation.display_name }}{% if case.unit %}<br><span class="muted">{{ case.unit }}</span>{% endif %}</td>
    <td><span class="status status-{{ case.status }}">{{ case.get_status_display }}</span></td>
    <td>{% if case.waiting_since %}<time datetime="{{ case.waiting_since|date:'c' }}">{{ case.waiting_since|date:"SHORT_DATETIME_FORMAT" }}</time><br><span class="muted">{% blocktranslate with since=case.waiting_since|timesince %}{{ since }} ago{% endblocktranslate %}</span>{% else %}–{% endif %}</td>
    <td>{% if case.handler %}{{ case.handler.get_full_name|default:case.handler.get_username }}{% else %}–{% endif %}</td>
    <td>{{ case.call.display_title }}</td>
  </tr>
  {% endfor %}"""


def reference_rows(monkeypatch) -> None:
    """Render the rows through the templates they were written in (the reference)."""
    case_rows = engines["django"].from_string(CASE_ROWS)
    queue_rows = engines["django"].from_string(QUEUE_ROWS)
    monkeypatch.setattr(rows, "case_table_rows", lambda cases: case_rows.render({"cases": cases}))
    monkeypatch.setattr(
        rows,
        "queue_table_rows",
        lambda cases, selectable="": queue_rows.render({"cases": cases, "selectable": selectable}),
    )


@pytest.fixture
def frozen_timesince(monkeypatch):
    """``timesince`` ("3 days ago") measured from one moment, so that two readings agree."""
    moment = timezone.now()

    class Frozen(real_datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return moment if tz is not None else timezone.make_naive(moment)

    from django.utils import timesince

    fake = types.SimpleNamespace(**vars(real_datetime))
    fake.datetime = Frozen
    monkeypatch.setattr(timesince, "datetime", fake)


@pytest.fixture
def varied(programme, applicant, coordinator, draft_case):  # noqa: F811
    """Rows that take each branch of the row templates."""
    cases = programme["cases"]
    Organisation.objects.filter(pk=applicant.organisation_id).update(
        name_sv='Organisation "på svenska" & <co>'
    )
    Supplier.objects.update(name_sv="Leverantör Ab")
    Case.objects.filter(pk=cases["review"].pk).update(
        whole_organisation=True, sector=None, theme=None, unit='Yksikkö "A" & <b>'
    )
    Case.objects.filter(pk=cases["closed"].pk).update(unit="Ünïcödé – 🙂")
    Case.objects.filter(pk=cases["offer"].pk).update(unit="", reference='SP-"&<1>')
    # handled by the coordinator: My cases and the inbox; one handler without a name
    handled = [cases[name].pk for name in ("review", "call_off", "deliver", "report", "close")]
    Case.objects.filter(pk__in=handled).update(handler=coordinator)
    other = User.objects.create(username="nimeton.koordinaattori", role=User.Role.COORDINATOR)
    Case.objects.filter(pk=cases["schedule"].pk).update(handler=other)
    # a step long past due: the late mark
    StepDeadline.objects.filter(case__in=[cases["deliver"], cases["close"]]).update(
        due=timezone.now() - real_datetime.timedelta(days=30)
    )
    assert Case.objects.filter(pk=draft_case.pk, reference__isnull=True).exists() or (
        Case.objects.get(pk=draft_case.pk).reference == ""
    )
    return programme


CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')

PAGES = {
    "coordinator": [
        "/cases/",
        "/cases/?progress=open",
        "/coordinator/",
        "/coordinator/queue/",
        "/coordinator/queue/?sort=organisation",
        "/coordinator/my-cases/",
        "/coordinator/inbox/",
    ],
    "applicant": ["/applicant/", "/cases/"],
    "consultant": ["/consultant/", "/cases/"],
}


def test_the_pages_show_the_rows_their_templates_gave(
    varied, applicant, coordinator, frozen_timesince, monkeypatch
):
    consultant = Case.objects.get(pk=varied["cases"]["deliver"].pk).consultant.user
    users = {"coordinator": coordinator, "applicant": applicant, "consultant": consultant}
    rows_seen = 0
    for role, paths in PAGES.items():
        client = Client()
        client.force_login(users[role])
        for language in ("fi", "sv", "en"):
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            for path in paths:
                new = client.get(path)
                with monkeypatch.context() as reference:
                    reference_rows(reference)
                    old = client.get(path)
                assert new.status_code == old.status_code == 200, (role, path)
                assert CSRF.sub(b"", new.content) == CSRF.sub(b"", old.content), (
                    role,
                    language,
                    path,
                )
                rows_seen += new.content.count(b"<tr>")
    assert rows_seen > 200


def test_the_selectable_rows_of_the_hand_over_page(
    varied, coordinator, frozen_timesince, monkeypatch
):
    """The confirmation page lists the chosen cases without check boxes; the queue with."""
    from sparring.cases import selectors

    cases = list(selectors.WaitingCases(Case.objects.all())[0:25])
    assert {case.handler.username for case in cases if case.handler} == {
        coordinator.username,
        "nimeton.koordinaattori",
    }
    for selectable in ("", "bulk-hand", 'a"b'):
        with monkeypatch.context() as reference:
            reference_rows(reference)
            old = rows.queue_table_rows(cases, selectable)
        assert rows.queue_table_rows(cases, selectable) == old


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize(
    "format_name", ["SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "c", "D j.n."]
)
def test_the_date_formatter_is_the_date_filter(language, format_name):
    """Remembered by day only for a format of the date alone; around midnight in
    Helsinki and in UTC, for datetimes and dates."""
    from django.template.defaultfilters import date as date_filter
    from django.utils import translation

    moments = [
        real_datetime.datetime(2026, 3, 28, 21, 59, tzinfo=real_datetime.UTC),
        real_datetime.datetime(2026, 3, 28, 22, 1, tzinfo=real_datetime.UTC),
        real_datetime.datetime(2026, 3, 29, 1, 30, tzinfo=real_datetime.UTC),
        real_datetime.datetime(2026, 12, 31, 23, 0, tzinfo=real_datetime.UTC),
        real_datetime.date(2026, 3, 29),
        None,
    ]
    with translation.override(language):
        formatted = rows.date_formatter(format_name)
        for moment in moments * 2:
            try:
                expected = date_filter(timezone.template_localtime(moment), format_name)
            except TypeError:  # a time of a date: an error either way
                with pytest.raises(TypeError):
                    formatted(moment)
                continue
            assert formatted(moment) == expected, moment
