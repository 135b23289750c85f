"""The coordinator's call list (issue 17): each call's case count is read from the figure
rollup plus the drafts counted by index, for the page's calls only, and the paginator
counts calls without joining cases. These tests hold it to the count it replaced
(``annotate(Count("cases"))`` over every call, kept here as the reference)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from sparring import clock
from sparring.cases import selectors, services
from sparring.models import Call, Case
from sparring.statistics.models import FigureChange
from tests.conftest import application_data
from tests.unit.cases.test_case_views import submit_new

pytestmark = pytest.mark.django_db


def reference_counts() -> dict[int, int]:
    """The implementation before issue 17: every case of every call grouped."""
    return dict(Call.objects.annotate(n=Count("cases")).values_list("pk", "n"))


def second_call() -> Call:
    return Call.objects.create(
        title="Toinen haku",
        opens_at=clock.now() - timedelta(days=3),
        closes_at=clock.now() + timedelta(days=30),
        delivery_starts=clock.today(),
        delivery_ends=clock.today() + timedelta(days=200),
        day_budget=50,
    )


def counts_shown(client) -> dict[int, int]:
    response = client.get("/coordinator/calls/")
    assert response.status_code == 200
    return {call.pk: call.case_count for call in response.context["page"]}


def test_each_call_shows_the_count_it_showed_before(
    applicant, other_applicant, coordinator, open_call, client_for
):
    """Given drafts, submitted, withdrawn and deleted applications in two calls (and a call
    with none), when the coordinator opens the call list, then each call shows the
    number of its cases that counting every case gives, before and after changes."""
    client = client_for(coordinator)
    other = second_call()
    empty = second_call()
    assert counts_shown(client) == reference_counts() == {open_call.pk: 0, other.pk: 0, empty.pk: 0}

    drafts = [
        services.case_create(actor=applicant, call=open_call, data=application_data())
        for _ in range(2)
    ]
    services.case_create(actor=other_applicant, call=other, data=application_data())
    submitted = [submit_new(applicant, open_call), submit_new(other_applicant, other)]
    submit_new(other_applicant, open_call)
    assert counts_shown(client) == reference_counts()
    assert reference_counts()[open_call.pk] == 4

    # a draft submitted, a draft deleted, an application withdrawn
    services.case_submit(actor=applicant, case=drafts[0], version=drafts[0].version)
    services.case_delete_draft(actor=applicant, case=drafts[1])
    withdrawn = Case.objects.get(pk=submitted[1].pk)
    services.case_withdraw(
        actor=other_applicant, case=withdrawn, reason="ei tarvita", version=withdrawn.version
    )
    assert FigureChange.objects.exists()  # the list folds the queued changes in itself
    assert counts_shown(client) == reference_counts()
    assert selectors.case_counts_by_call([empty.pk]) == {}
    assert selectors.case_counts_by_call([]) == {}


def test_the_list_never_counts_or_groups_every_case(coordinator, open_call, applicant, client_for):
    """The page's queries read cases only as the drafts of the page's calls."""
    submit_new(applicant, open_call)
    services.case_create(actor=applicant, call=open_call, data=application_data())
    client = client_for(coordinator)
    client.get("/coordinator/calls/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/coordinator/calls/").status_code == 200
    reads_cases = [q["sql"] for q in queries if '"sparring_case"' in q["sql"]]
    assert len(reads_cases) == 1 and "'draft'" in reads_cases[0] and "JOIN" not in reads_cases[0]
    paginator = [q["sql"] for q in queries if "COUNT(*)" in q["sql"]]
    assert paginator and all("sparring_case" not in sql for sql in paginator)
