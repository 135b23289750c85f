"""The API's list rows are written directly (``CaseSerializer.case_row``; issue 17) and
give, byte for byte, what DRF's field-by-field path gives from the declared fields.

The reference is the same serializers with DRF's own ``to_representation`` put back:
every list that shows cases (``/api/v1/cases/``, ``/api/v1/tasks/``,
``/api/v1/late-cases/``) is read both ways for every role, in Finnish, Swedish and
English, on a programme with varied rows (every waiting step, finished cases, a draft
without a reference, bilingual names, no sector or theme, text that needs escaping).
"""

from datetime import timedelta

import pytest
from django.test import Client
from rest_framework import serializers

from procurement.models import Supplier
from sparring import clock
from sparring.api import serializers as s
from sparring.models import Case, Organisation, User
from tests.unit.api.test_api import token_client
from tests.unit.api.test_late_and_task_lists import programme  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

LISTS = ("/api/v1/cases/", "/api/v1/tasks/", "/api/v1/late-cases/")


def field_by_field(monkeypatch) -> None:
    """Put DRF's generic serialising back on the list serializers (the reference)."""
    generic = serializers.ModelSerializer.to_representation
    monkeypatch.setattr(s.CaseSerializer, "to_representation", generic)
    monkeypatch.setattr(s.LateCaseSerializer, "to_representation", generic)
    monkeypatch.setattr(
        s.TaskSerializer, "to_representation", serializers.Serializer.to_representation
    )


@pytest.fixture
def varied(programme, applicant, draft_case):  # noqa: F811
    """Rows that take each branch: Swedish names, no sector or theme, the whole
    organisation, escaping, no reference, no handler name, a far past due date."""
    cases = programme["cases"]
    Organisation.objects.filter(pk=applicant.organisation_id).update(
        name_sv='Organisation "på svenska" & <co>'
    )
    Supplier.objects.update(name_sv="Leverantör Ab")
    Case.objects.filter(pk=cases["review"].pk).update(
        whole_organisation=True, sector=None, theme=None, unit='Yksikkö "A" & <b>'
    )
    Case.objects.filter(pk=cases["offer"].pk).update(estimated_participants=None)
    Case.objects.filter(pk=cases["closed"].pk).update(unit="Ünïcödé – 🙂")
    User.objects.filter(role="coordinator").update(first_name="", last_name="")
    assert Case.objects.get(pk=draft_case.pk).reference in (None, "")
    return programme


def test_the_case_rows_are_what_the_declared_fields_give(
    varied, applicant, other_applicant, coordinator, steering, monkeypatch
):
    users = [coordinator, applicant, other_applicant, steering, *varied["consultants"][:3]]
    clients = [(user, token_client(user)) for user in users]
    seen = 0
    for moment in (clock.now(), clock.now() + timedelta(days=400)):
        monkeypatch.setattr(clock, "now", lambda moment=moment: moment)
        for user, client in clients:
            for language in ("fi", "sv", "en"):
                for path in LISTS:
                    url = f"{path}?language={language}"
                    new = client.get(url)
                    with monkeypatch.context() as reference:
                        field_by_field(reference)
                        old = client.get(url)
                    assert new.status_code == old.status_code, (user.username, url)
                    assert new.content == old.content, (user.username, url)
                    if new.status_code == 200:
                        seen += len(new.json()["results"])
    assert seen > 200


def test_a_case_without_relations_loaded_reads_them(varied):
    """The row of a case read without ``select_related`` (one case, as a script would)."""
    case = Case.objects.filter(consultant__isnull=False).first()
    new = s.CaseSerializer(case, context={}).data
    reference = serializers.ModelSerializer.to_representation(s.CaseSerializer(context={}), case)
    assert new == reference


def test_the_detail_is_still_field_by_field(varied, coordinator):
    client = token_client(coordinator)
    case = varied["cases"]["deliver"]
    assert client.get(f"/api/v1/cases/{case.pk}/").json()["steps"]


def test_the_list_rows_keep_their_query_counts(varied, coordinator, django_assert_num_queries):
    client: Client = token_client(coordinator)
    client.get("/api/v1/cases/")  # the token's last use written once
    with django_assert_num_queries(5):
        client.get("/api/v1/cases/")


def test_list_rows_are_the_joined_cases_with_each_related_row_built_once(varied, coordinator):
    """``api.selectors.list_rows`` reads the joined columns as tuples and builds each
    related row (call, organisation, sector, theme, consultant, user, supplier, handler)
    once per page (issue 17: a model per relation per row was most of a 50-row page's
    Python): the same values as the cases read with ``select_related``, for every row."""
    from sparring.api import selectors as api_selectors
    from sparring.cases import selectors

    pages = [
        list(api_selectors.case_ids(coordinator)[:100]),
        list(api_selectors.late_cases(clock.now() + timedelta(days=400))[:100]),
    ]
    assert len(pages[0]) > 10 and pages[1]
    for page, key, handler in ((pages[0], "pk", False), (pages[1], "case_id", True)):
        rows = api_selectors.list_rows(page, key=key, handler=handler)
        related = selectors.API_ROW_RELATED + (("handler",) if handler else ())
        fields = api_selectors.API_ROW_FIELDS + (
            api_selectors.API_HANDLER_FIELDS if handler else ()
        )
        expected = (
            selectors.case_list(Case.objects.all(), related, late=False)
            .only(*fields)
            .in_bulk([getattr(item, key) for item in page])
        )
        assert [row.pk for row in rows] == [getattr(item, key) for item in page]
        for row in rows:
            old = expected[row.pk]
            for path in (*fields, "pk", "call_id", "organisation_id", "consultant_id"):
                new_value, old_value = row, old
                for name in path.split("__"):
                    new_value = getattr(new_value, name) if new_value is not None else None
                    old_value = getattr(old_value, name) if old_value is not None else None
                if hasattr(old_value, "_meta"):
                    assert type(new_value) is type(old_value) and new_value.pk == old_value.pk
                else:
                    assert new_value == old_value, (row.pk, path)
        calls = {row.call_id: row.call for row in rows}
        assert all(row.call is calls[row.call_id] for row in rows)


def test_the_task_steps_descriptions_are_the_steps_in_the_asked_language(varied, coordinator):
    """Each step's description is translated once per list (``views._steps``), in the
    language asked: the step registry's ``waiting`` text."""
    from django.utils import translation

    from sparring.cases.steps import STEPS

    client = token_client(coordinator)
    seen = 0
    for language in ("fi", "sv", "en"):
        for task in client.get(f"/api/v1/tasks/?language={language}").json()["results"]:
            for step in task["steps"]:
                with translation.override(language):
                    assert step["description"] == str(STEPS[step["step"]].waiting)
                seen += 1
    assert seen >= 6
