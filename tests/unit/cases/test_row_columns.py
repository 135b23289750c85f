"""The lists' row queries join and read only what their rows show (session 9, issue 17)
and give the rows that the full row query (every relation, every column) gave.

The reference is ``selectors.case_list`` with its defaults (``LIST_ROW_RELATED``, every
column, the late mark), as every list read its rows before. Each narrowed reader's rows
are written (``rows.case_table_rows``, ``rows.queue_table_rows``,
``CaseSerializer.case_row``) without a query, and the same as the reference's, in
Finnish, Swedish and English.
"""

import pytest
from django.utils import translation

from sparring.api import selectors as api_selectors
from sparring.api import serializers as s
from sparring.cases import rows, selectors
from sparring.models import Case
from tests.unit.api.test_late_and_task_lists import programme  # noqa: F401 (a fixture)
from tests.unit.cases.test_table_rows import frozen_timesince, varied  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = ("fi", "sv", "en")


def full_rows(ids, **annotations):
    """The reference: every relation and column, in the order of ``ids``."""
    found = selectors.case_list(Case.objects.filter(pk__in=ids)).annotate(**annotations)
    by_id = {case.pk: case for case in found}
    return [by_id[pk] for pk in ids]


def test_the_case_table_rows_read_narrowly_are_the_full_rows(
    varied,  # noqa: F811
    django_assert_num_queries,
):
    ids = list(Case.objects.order_by("-created", "-pk").values_list("pk", flat=True))
    assert len(ids) > 8
    narrowed = selectors.CaseListRows([Case.objects.all()])[0 : len(ids)]
    reference = full_rows(ids)
    for language in LANGUAGES:
        with translation.override(language):
            expected = rows.case_table_rows(reference)
            with django_assert_num_queries(0):
                assert rows.case_table_rows(narrowed) == expected


@pytest.mark.parametrize("sort", ["", "organisation", "-waiting"])
def test_the_queue_rows_read_narrowly_are_the_full_rows(
    varied,  # noqa: F811
    coordinator,
    frozen_timesince,  # noqa: F811
    django_assert_num_queries,
    sort,
):
    for waiting in (selectors.coordinator_queue(sort), selectors.my_cases(coordinator, sort)):
        narrowed = waiting[0:50]
        assert narrowed
        ids = [case.pk for case in narrowed]
        reference = full_rows(
            ids, waiting_since=selectors.waiting_since(coordinator_steps=waiting.coordinator_steps)
        )
        for language in LANGUAGES:
            with translation.override(language):
                expected = rows.queue_table_rows(reference, "bulk-hand")
                with django_assert_num_queries(0):
                    assert rows.queue_table_rows(narrowed, "bulk-hand") == expected


def test_the_api_rows_read_narrowly_are_the_full_rows(
    varied,  # noqa: F811
    django_assert_num_queries,
):
    ids = list(Case.objects.order_by("-created", "-pk").values_list("pk", flat=True))
    page = [Case(pk=pk) for pk in ids]
    for handler in (False, True):
        narrowed = api_selectors.list_rows(page, handler=handler)
        reference = full_rows(ids)
        for language in LANGUAGES:
            with translation.override(language):
                expected = [s.CaseSerializer(context={}).case_row(case) for case in reference]
                with django_assert_num_queries(0):
                    serializer = s.CaseSerializer(context={})
                    assert [serializer.case_row(case) for case in narrowed] == expected
                    if handler:
                        late = s.LateCaseSerializer(context={})
                        assert [late.get_handler(case) for case in narrowed] == [
                            late.get_handler(case) for case in reference
                        ]
