"""The case list's CSV export streams (defect of session 9: 37.7 s and every row in memory
for 100 000 cases, past gunicorn's 30 s timeout): it answers at once, reads the rows in
keyset chunks of ``SPARRING_EXPORT_CHUNK_ROWS`` with one query per chunk, and writes
the same rows as the old export (kept here as the reference) for every role."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import translation

from procurement.models import Consultant
from sparring import access, exports
from sparring.cases import selectors, services
from sparring.cases.filters import CaseFilter
from sparring.models import Case, Theme
from tests.conftest import application_data
from tests.unit.cases.test_case_views import submit_new

pytestmark = pytest.mark.django_db

URL = reverse("sparring:case_list_export", args=["csv"])


def old_export_rows(user, params: dict) -> list[list[str]]:
    """The export as it was before streaming (the reference): every row built in memory
    from ``case_filter.qs``, then written by ``exports.csv_response``."""
    from django.test import RequestFactory

    request = RequestFactory().get(URL, params)
    request.user = user
    queryset = selectors.case_list(access.visible_cases(user))
    case_filter = CaseFilter(request.GET or None, queryset=queryset, request=request)
    coordinator = access.is_coordinator(user)
    with translation.override("fi"):
        _ = translation.gettext
        header = [
            _("Reference"),
            _("Organisation"),
            _("Unit"),
            _("Call"),
            _("Sector"),
            _("Theme"),
            _("Days"),
            _("Step"),
            _("Consultant"),
            _("Created"),
            _("Submitted"),
        ]
        if coordinator:
            header.append(_("Responsible coordinator"))
        rows = [header]
        for case in case_filter.qs.iterator(chunk_size=500):
            row = [
                str(case),
                case.organisation.display_name(),
                case.unit,
                case.call.display_title,
                case.sector_label(),
                str(case.theme or ""),
                case.days,
                case.get_status_display(),
                str(case.consultant or ""),
                case.created,
                case.submitted_at or "",
            ]
            if coordinator:
                row.append(case.handler.get_full_name() if case.handler else "")
            rows.append(row)
        return parse(b"".join([exports.csv_response("cases", rows).content]))


def parse(raw: bytes) -> list[list[str]]:
    assert raw.startswith("\ufeff".encode()), "the file begins with a UTF-8 BOM"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def streamed(client, params=None):
    response = client.get(URL, params or {})
    assert response.status_code == 200
    assert response.streaming, "the export answers at once and streams its rows"
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="cases.csv"'
    return parse(b"".join(response.streaming_content))


@pytest.fixture
def varied(searchable_cases, applicant, other_applicant, open_call, coordinator, consultant):
    """Eight cases of two organisations: some taken by the coordinator, one with the
    consultant, a theme, a whole-organisation one, and four created at the same moment
    (the keyset's tie on ``created`` is broken by ``pk``)."""
    home, school, kitchen = searchable_cases
    more = [
        submit_new(applicant if n % 2 else other_applicant, open_call, unit=f"Yksikkö {n}")
        for n in range(5)
    ]
    services.case_take(actor=coordinator, case=home, version=None)
    services.case_create(actor=applicant, call=open_call, data=application_data(unit="Luonnos"))
    services.case_take(actor=coordinator, case=more[0], version=None)
    same = home.created - timedelta(days=3)
    Case.objects.filter(pk__in=[more[1].pk, more[2].pk, more[3].pk, school.pk]).update(created=same)
    Case.objects.filter(pk=kitchen.pk).update(
        consultant=Consultant.objects.get(user=consultant),
        theme=Theme.objects.first(),
        whole_organisation=True,
        sector=None,
        unit='=HYPERLINK("x")',
    )
    return Case.objects.order_by("pk")


PARAMS = [{}, {"q": "Opettajien"}, {"progress": "open"}, {"status": "zzz"}, {"q": "Yksikkö"}]


@pytest.mark.parametrize("chunk", [1, 3, 500])
@pytest.mark.parametrize("role", ["coordinator", "applicant", "other_applicant", "consultant"])
def test_the_streamed_rows_are_the_old_exports_rows_for_every_role(
    varied, role, chunk, request, client_for
):
    user = request.getfixturevalue(role)
    client = client_for(user)
    with override_settings(SPARRING_EXPORT_CHUNK_ROWS=chunk):
        for params in PARAMS:
            new = streamed(client, params)
            assert new == old_export_rows(user, params), params
    assert len(streamed(client)) > 1


def test_the_queries_per_chunk_are_constant(varied, coordinator, client_for):
    """Nine cases (one a draft): chunks of 9 are one chunk and an empty end, of 5 two (the
    last short: no end query), of 3 three and an empty end, of 2 five (the last short)."""
    client = client_for(coordinator)
    client.get(URL)  # warm-up (session, language)
    counts = {}
    for chunk in (9, 5, 3, 2):
        with override_settings(SPARRING_EXPORT_CHUNK_ROWS=chunk):
            with CaptureQueriesContext(connection) as queries:
                assert len(streamed(client)) == 10
        counts[chunk] = len(queries)
    # one query per chunk, nothing per row
    assert counts[5] - counts[9] == 0
    assert counts[3] - counts[5] == 2
    assert counts[2] - counts[3] == 1


def test_an_applicant_cannot_export_another_organisations_cases(
    varied, applicant, other_organisation, client_for
):
    with translation.override("fi"):  # a draft is "Hakemusluonnos <pk>"
        own = {str(case) for case in Case.objects.filter(organisation=applicant.organisation)}
    for params in ({}, {"organisation": other_organisation.pk}, {"q": "Opettajien"}):
        rows = streamed(client_for(applicant), params)
        assert {row[0] for row in rows[1:]} <= own
    assert {row[0] for row in streamed(client_for(applicant))[1:]} == own
