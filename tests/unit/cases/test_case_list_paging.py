"""The case list read a page at a time (issue 17): ``selectors.CaseListRows`` over the
parts of ``search.search_parts`` gives the rows, order, late marks and capped count that
the list gave before (one query of ``selectors.case_list`` filtered by ``CaseFilter`` with
the search as an OR of subqueries; kept below as the reference), for every role and
filter, with and without a search. Runs on SQLite and PostgreSQL
(DATABASE_URL=postgres://…), where the search is full text plus substrings."""

from functools import reduce
from itertools import product
from operator import and_

import django_filters
import pytest
from django.db import connection
from django.db.models import Q
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sparring import access
from sparring.cases import search, selectors
from sparring.cases.filters import CaseFilter
from sparring.models import Case, Organisation, Theme
from sparring.reports.models import Report
from tests.unit.cases.test_case_views import (
    approve,
    assign,
    case_links,
    count_queries,
    offer_to,
    submit_new,
)

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------
# The reference: the list as it was read before issue 17's paging
# ------------------------------------------------------------------------------


def _old_search(queryset, text):
    words = text.replace("\x00", " ").split()[: search.MAX_WORDS]
    if not words:
        return queryset
    text = " ".join(words)
    if connection.vendor != "postgresql":
        return queryset.filter(reduce(and_, (search._word_anywhere(word) for word in words)))
    config = search.search_config()
    where = [f"{search.STORED_COLUMN} @@ websearch_to_tsquery(%s::regconfig, %s)"]
    by_text = Case.objects.extra(where=where, params=[config, text]).values("pk")  # noqa: S610
    by_report = Report.objects.extra(where=where, params=[config, text]).values("case_id")  # noqa: S610
    own = Case.objects.filter(
        Q(reference__icontains=text) | Q(unit__icontains=text) | Q(contact_name__icontains=text)
    ).values("pk")
    by_organisation = Organisation.objects.filter(
        Q(name_fi__icontains=text) | Q(name_sv__icontains=text)
    ).values("pk")
    return queryset.filter(
        Q(pk__in=by_text)
        | Q(pk__in=by_report)
        | Q(pk__in=own)
        | Q(organisation__in=by_organisation)
    )


class OldCaseFilter(CaseFilter):
    filter_queryset = django_filters.FilterSet.filter_queryset

    def search(self, queryset, name, value):
        return _old_search(queryset, value)


def request_for(user, params):
    request = RequestFactory().get("/cases/", params)
    request.user = user
    return request


def old_rows(user, params):
    request = request_for(user, params)
    queryset = selectors.case_list(access.visible_cases(user))
    return list(OldCaseFilter(params or None, queryset=queryset, request=request).qs)


def new_pages(user, params, per_page, *, probe=None):
    """Every page's rows (one page at a time), and a paginator capped at four. ``probe``:
    as the view decides (None), or always / never."""
    request = request_for(user, params)
    case_filter = CaseFilter(params or None, queryset=access.visible_cases(user), request=request)
    scopes = access.visible_case_parts(user)
    rows = selectors.CaseListRows(
        case_filter.search_parts(scopes),
        probe=(case_filter.searched and access.visible_case_terms(user) is None)
        if probe is None
        else probe,
        samples=case_filter.search_samples(scopes),
    )
    paginator = selectors.CappedPaginator(rows, per_page)
    found = []
    for number in paginator.page_range:
        found.extend(paginator.page(number).object_list)
    return found, selectors.CappedPaginator(rows, per_page, cap=4)


# ------------------------------------------------------------------------------
# The cases
# ------------------------------------------------------------------------------


@pytest.fixture
def cases(searchable_cases, applicant, other_applicant, coordinator, consultant, open_call):
    """The search fixture's cases (texts for each search field, a report) plus an
    assigned case and an offered one (the consultant sees both), an approved and a
    finished one."""
    submitted_case, school, kitchen = searchable_cases
    assigned = assign(submit_new(applicant, open_call, unit="Kotihoito"), coordinator, consultant)
    offered = submit_new(other_applicant, open_call, unit="Kotihoito itä")
    approve(offered, coordinator)
    offer_to(offered, coordinator, consultant)
    whole = submit_new(other_applicant, open_call, whole_organisation=True, sector=None)
    themed = submit_new(applicant, open_call, theme=Theme.objects.get(code="digitalisation"))
    finished = submit_new(applicant, open_call, unit="Kotihoito länsi")
    Case.objects.filter(pk=finished.pk).update(status=Case.Status.WITHDRAWN)
    return [submitted_case, school, kitchen, assigned, offered, whole, themed, finished]


SEARCHES = [
    "",
    "kotihoito",
    "Kotihoito länsi",
    "työnjaosta",
    "perehdytyskansio",
    "Rehtori",
    "Espoon",
    "SP-",
    "vuorosuunnittelu perehdytys",
    "sanaaeiole",
    '"(((',
]


def filter_sets(cases, open_call, consultant):
    assigned = cases[3]
    return [
        {},
        {"status": "submitted"},
        {"progress": "open"},
        {"progress": "finished"},
        {"call": str(open_call.pk)},
        {"theme": str(Theme.objects.get(code="digitalisation").pk)},
        {"sector": str(cases[0].sector_id)},
        {"organisation": str(assigned.organisation_id)},
        {"consultant": str(consultant.consultant.pk)},
        {"organisation": str(assigned.organisation_id), "progress": "open", "status": ""},
        {"status": "nonsense"},
    ]


@pytest.mark.parametrize(
    ("fallback", "parts_read"), [(False, "probed"), (True, "probed"), (False, "sorted")]
)
def test_the_pages_hold_what_the_old_list_did(
    cases,
    applicant,
    other_applicant,
    coordinator,
    consultant,
    open_call,
    fallback,
    parts_read,
    monkeypatch,
):
    """Given the cases, when each role lists them with every filter set and search, a page
    of two rows at a time, then the rows, their order and late marks, and the capped count
    are the old list's (on PostgreSQL also with the SQLite word search, and with every
    search part read from its indexes and sorted rather than newest first)."""
    if parts_read == "sorted":
        if connection.vendor != "postgresql":
            pytest.skip("SQLite reads one part")
        monkeypatch.setattr(
            selectors.CaseListRows, "_walks", lambda self, stop: [False] * len(self.parts)
        )
    if fallback:
        if connection.vendor != "postgresql":
            pytest.skip("SQLite always uses the word search")
        parts = search.search_parts
        monkeypatch.setattr(
            search, "search_parts", lambda queryset, text: parts(queryset, text, fallback=True)
        )
        monkeypatch.setattr(
            "tests.unit.cases.test_case_list_paging._old_search",
            lambda queryset, text: search.case_search(queryset, text, fallback=True),
        )
    checked = 0
    for user, text, params in product(
        [applicant, other_applicant, coordinator, consultant],
        SEARCHES,
        filter_sets(cases, open_call, consultant),
    ):
        params = {**params, "q": text} if text else params
        expected = old_rows(user, params)
        probe = True if parts_read == "sorted" else None
        rows, paginator = new_pages(user, params, per_page=2, probe=probe)
        where = (user.username, params)
        assert [case.pk for case in rows] == [case.pk for case in expected], where
        assert [case.step_late for case in rows] == [case.step_late for case in expected], where
        assert paginator.count == min(len(expected), 5), where
        assert paginator.capped == (len(expected) > 4), where
        checked += bool(expected)
    assert checked > 100  # most combinations find something


def test_a_page_past_the_end_and_the_second_page(cases, coordinator):
    """Page 2 holds rows 3–4; a number past the end shows the last page."""
    expected = old_rows(coordinator, {"q": "kotihoito"})
    assert len(expected) >= 5
    rows = selectors.CaseListRows(search.search_parts(Case.objects.all(), "kotihoito"))
    paginator = selectors.CappedPaginator(rows, 2)
    assert paginator.count == len(expected)
    assert paginator.get_page(2).object_list == expected[2:4]
    last = paginator.num_pages
    assert paginator.get_page(99).object_list == expected[(last - 1) * 2 :]
    assert rows[0:0] == []


def test_a_capped_list_ends_at_its_cap(cases, coordinator):
    """Given more matches than the cap (four, two a page), the pages end at the cap: two
    pages, the second has no next, and a number past the cap shows the second page (a
    list of "more than 1 000" once had a page 21 holding the 1 001st case alone, with no
    way on and no word of why)."""
    expected = old_rows(coordinator, {"q": "kotihoito"})
    assert len(expected) >= 5
    rows = selectors.CaseListRows(search.search_parts(Case.objects.all(), "kotihoito"))
    paginator = selectors.CappedPaginator(rows, 2, cap=4)
    assert paginator.capped
    assert paginator.num_pages == 2
    assert list(paginator.page_range) == [1, 2]
    last = paginator.get_page(3)
    assert last.number == 2
    assert last.object_list == expected[2:4]
    assert not last.has_next()
    assert paginator.get_page(99).object_list == expected[2:4]


def test_the_case_list_runs_the_same_queries_for_few_and_more_cases_when_searching(
    submitted_case, applicant, other_applicant, coordinator, consultant, open_call, client_for
):
    """Given one case that each role sees, then several, when each role searches and
    filters the list, then the query count does not grow (a page: its ids, then its rows;
    the count: ids only)."""
    first = assign(
        submit_new(applicant, open_call, unit="Kotihoito vuoro"), coordinator, consultant
    )
    urls = [
        reverse("sparring:case_list") + query
        for query in ("", "?q=Kotihoito", "?q=kotihoito+vuoro", "?progress=open&q=kotihoito")
    ]
    users = [applicant, coordinator, consultant]
    clients = {user.pk: client_for(user) for user in users}
    for user, url in product(users, urls):
        clients[user.pk].get(url)
    before = {
        (user.pk, url): count_queries(clients[user.pk], url) for user in users for url in urls
    }
    assert all(first.pk in case_links(page) for _count, page in before.values())

    for unit in ("Kotihoito", "Kotihoito vuoro", "Vuorotyö"):
        submit_new(other_applicant, open_call, unit=unit)
        submit_new(applicant, open_call, unit=unit)
    assigned = assign(submit_new(applicant, open_call, unit="Kotihoito"), coordinator, consultant)
    after = {(user.pk, url): count_queries(clients[user.pk], url) for user in users for url in urls}
    assert {key: count for key, (count, _page) in after.items()} == {
        key: count for key, (count, _page) in before.items()
    }
    assert case_links(after[consultant.pk, urls[1]][1]) == {first.pk, assigned.pk}


def test_a_search_part_that_matches_nothing_is_not_probed(cases, coordinator):
    """A reader's scope that can hold no case (an empty queryset) among a search's parts:
    the probe skips it and the page is the other parts' (PostgreSQL's probe; SQLite reads
    one part)."""
    expected = old_rows(coordinator, {"q": "kotihoito"})
    parts = search.search_parts(Case.objects.none(), "kotihoito") + search.search_parts(
        Case.objects.all(), "kotihoito"
    )
    rows = selectors.CaseListRows(parts, probe=True)
    assert rows[0:50] == expected


def test_the_capped_count_is_one_statement_whichever_part_fills_the_cap(cases, coordinator):
    """Given a search's parts where the first alone fills the cap, and parts where it holds
    fewer than the cap but the union more (or fewer) than the cap, the capped count is the
    union's up to the cap, in one statement (on PostgreSQL the first part is read once and
    the others only when it does not fill the cap)."""
    ids = sorted(Case.objects.values_list("pk", flat=True))
    assert len(ids) >= 6
    everything = Case.objects.all()
    layouts = [
        # the first part fills the cap (four) by itself
        ([everything, everything.filter(pk=ids[0])], 5),
        # the first part holds one; the others the rest (overlapping)
        ([everything.filter(pk=ids[0]), everything.filter(pk__in=ids[:4]), everything], 5),
        # fewer than the cap in all, duplicates counted once
        ([everything.filter(pk__in=ids[:2]), everything.filter(pk__in=ids[1:3])], 3),
        # a part that can match nothing (an empty scope) first
        ([Case.objects.none(), everything.filter(pk__in=ids[:3])], 3),
        ([Case.objects.none(), Case.objects.none()], 0),
    ]
    for parts, expected in layouts:
        rows = selectors.CaseListRows(parts)
        with CaptureQueriesContext(connection) as queries:
            assert rows.capped_count(5) == expected, parts
        assert len(queries) <= 1, parts


def test_the_capped_count_reads_no_other_part_when_the_first_fills_the_cap(cases):
    """Given a first part with more matches than the cap, the count does not read the other
    parts (issue 17: at 100 000 cases "työnjako" fills the cap from the case's own texts,
    and reading the reports' 77 000 matches of it cost the count half its time). A part
    that fails when read (a division by zero on each row) shows it."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite reads one part")
    failing = Case.objects.extra(where=['1 / ("sparring_case"."id" - "sparring_case"."id") = 1'])
    rows = selectors.CaseListRows([Case.objects.all(), failing])
    assert rows.capped_count(3) == 3


def test_a_sample_that_fills_the_cap_is_the_count(cases):
    """Given a sample of the matches (``search.search_sample``: the cases whose reference
    starts with a reference-shaped search) with more cases than the cap, the count is the
    cap and no part is read (issue 17: "SP-2024" matched 15 000 cases at 100 000, and the
    count tested each case's texts until it had 1 001 of them: 12 ms; the reference's index
    counts them in under one). A sample smaller than the cap leaves the count to the parts.
    """
    if connection.vendor != "postgresql":
        pytest.skip("SQLite reads one part")
    failing = Case.objects.extra(where=['1 / ("sparring_case"."id" - "sparring_case"."id") = 1'])
    sample = Case.objects.filter(reference__startswith="SP-")
    assert sample.count() >= 3
    rows = selectors.CaseListRows([failing, failing], samples=[Case.objects.none(), sample])
    assert rows.capped_count(3) == 3
    few = sample.filter(pk=sample.first().pk)
    rows = selectors.CaseListRows([Case.objects.all(), Case.objects.none()], samples=[few])
    assert rows.capped_count(3) == 3
    rows = selectors.CaseListRows([few, few], samples=[few])
    assert rows.capped_count(3) == 1
