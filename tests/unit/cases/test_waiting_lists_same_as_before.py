"""The coordinators' working lists (issue 17): the queue, the inbox and "My cases" pick a
page's case ids from the cases alone, then join a row's tables for those ids
(``selectors.WaitingCases``). These tests hold them to the one query they replaced
(``sorted_cases(with_waiting_since(...))``, kept here as the reference): same rows, same
order, same ``waiting_since`` and late marks, for every sort and page."""

from datetime import timedelta

import pytest
from django.urls import reverse

from sparring.cases import selectors, services, states
from sparring.models import Case
from tests.unit.cases.test_case_views import approve, submit_new

pytestmark = pytest.mark.django_db


def old_waiting_since(*, coordinator_steps: bool):
    """``selectors.waiting_since`` before session 8: the steps of any task type (the
    coordinators' are now also required to be of type FUNCTION, to read the open steps'
    index)."""
    from functools import reduce
    from operator import or_

    from django.db.models import OuterRef, Q, Subquery
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from sparring.cases.steps import STEPS

    names = [
        name for name, step in STEPS.items() if not coordinator_steps or step.actor == "coordinator"
    ]
    tasks = Task.objects.filter(
        reduce(or_, (Q(flow_task__endswith=f".{name}") for name in names)),
        process_id=OuterRef("process_id"),
        status__in=[STATUS.NEW, STATUS.SCHEDULED, STATUS.STARTED, STATUS.ERROR],
    )
    return Subquery(tasks.order_by("created").values("created")[:1])


def old_with_waiting_since(queryset, *, coordinator_steps: bool):
    return selectors.case_list(queryset).annotate(
        waiting_since=old_waiting_since(coordinator_steps=coordinator_steps)
    )


def reference(queryset, sort: str, *, coordinator_steps: bool):
    return list(
        selectors.sorted_cases(
            old_with_waiting_since(queryset, coordinator_steps=coordinator_steps), sort
        )
    )


def rows(cases) -> list[tuple]:
    """What a row of the queue table shows (``rows.queue_table_rows``; not ``step_late``,
    which the lists no longer compute: session 9)."""
    return [
        (c.pk, c.waiting_since, c.organisation.name_fi, c.call.title, c.handler_id) for c in cases
    ]


@pytest.fixture
def lists(applicant, other_applicant, coordinator, open_call):
    cases = [submit_new(applicant, open_call) for _ in range(3)]
    cases += [submit_new(other_applicant, open_call) for _ in range(3)]
    for case in cases[:2]:
        services.case_take(actor=coordinator, case=case, version=case.version)
    approve(Case.objects.get(pk=cases[4].pk), coordinator, days=1)
    return coordinator


@pytest.mark.parametrize("sort", ["", *selectors.QUEUE_SORTS, "nonsense"])
def test_each_list_has_the_rows_it_had_in_the_same_order(lists, sort):
    coordinator = lists
    queue = Case.objects.filter(status__in=states.WAITING_FOR_COORDINATOR, handler__isnull=True)
    inbox = Case.objects.filter(status__in=states.WAITING_FOR_COORDINATOR, handler=coordinator)
    mine = Case.objects.filter(status__in=states.ASSIGNABLE, handler=coordinator)
    for new, old in (
        (selectors.coordinator_queue(sort), reference(queue, sort, coordinator_steps=True)),
        (selectors.my_cases(coordinator, sort), reference(mine, sort, coordinator_steps=False)),
    ):
        assert new.count() == len(old) > 0
        assert rows(new[:]) == rows(old)
        for start in range(len(old)):  # every page of two, and single rows
            assert rows(new[start : start + 2]) == rows(old[start : start + 2])
            assert rows([new[start]]) == rows([old[start]])
    inbox_old = list(
        old_with_waiting_since(inbox, coordinator_steps=True).order_by(
            *selectors.QUEUE_SORTS["waiting"][1]
        )
    )
    assert rows(selectors.coordinator_inbox(coordinator)[:]) == rows(inbox_old)


def test_the_pages_list_the_same_cases(lists, client_for):
    coordinator = lists
    client = client_for(coordinator)
    queue = Case.objects.filter(status__in=states.WAITING_FOR_COORDINATOR, handler__isnull=True)
    for sort in selectors.QUEUE_SORTS:
        page = client.get(reverse("sparring:case_queue") + f"?sort={sort}").context["cases"]
        assert rows(page) == rows(reference(queue, sort, coordinator_steps=True))


@pytest.fixture
def mine_at_every_step(applicant, other_applicant, coordinator, consultant, open_call):
    """Cases the coordinator is responsible for at the applicant's, the coordinator's and
    the consultant's steps (the waiting time of "My cases" is of any step), and a case
    somebody else's."""
    from tests.unit.cases.test_case_views import (
        assign,
        new_consultant,
        offer_to,
        to_delivery,
        to_reporting,
    )

    cases = [submit_new(who, open_call) for who in (applicant, other_applicant) * 3]
    for case in cases:
        services.case_take(actor=coordinator, case=case, version=case.version)
    approve(Case.objects.get(pk=cases[1].pk), coordinator, days=1)
    offer_to(
        approve(Case.objects.get(pk=cases[2].pk), coordinator, days=1), coordinator, consultant
    )
    assign(Case.objects.get(pk=cases[3].pk), coordinator, consultant)
    to_delivery(Case.objects.get(pk=cases[4].pk), coordinator, consultant, applicant)
    other = new_consultant(consultant.consultant.supplier, "konsultti.toinen")  # days apart
    to_reporting(Case.objects.get(pk=cases[5].pk), coordinator, other, other_applicant)
    submit_new(applicant, open_call)  # in the queue, nobody's
    return coordinator


@pytest.fixture(params=["sorted", "walked"])
def walk_from(request, monkeypatch):
    """My cases read both ways: sorted (a short list) and walked along the open steps (a
    list of ``WaitingCases.WALK_FROM`` cases or more; here from the first)."""
    if request.param == "walked":
        monkeypatch.setattr(selectors.WaitingCases, "WALK_FROM", 0)
    return request.param


@pytest.mark.parametrize("sort", ["", *selectors.QUEUE_SORTS])
def test_my_cases_at_every_step_as_before(mine_at_every_step, sort, walk_from):
    """Session 8 reads every step's waiting time from the index of the open steps of type
    FUNCTION (``waiting_since``): the same times as any task type gave, at every step."""
    coordinator = mine_at_every_step
    mine = Case.objects.filter(status__in=states.ASSIGNABLE, handler=coordinator)
    old = reference(mine, sort, coordinator_steps=False)
    assert len({case.status for case in old}) >= 5
    assert all(case.waiting_since is not None for case in old)
    new = selectors.my_cases(coordinator, sort)
    assert new.count() == len(old) == 6
    assert rows(new[:]) == rows(old)
    for start in range(len(old)):
        assert rows(new[start : start + 3]) == rows(old[start : start + 3])


def _open_steps(case):
    from viewflow.workflow.models import Task

    return Task.objects.filter(selectors.open_step_q(), process_id=case.process_id).order_by(
        "created", "pk"
    )


@pytest.mark.parametrize("sort", ["", *selectors.QUEUE_SORTS, "nonsense"])
def test_lists_with_ties_no_step_and_two_steps_as_before(mine_at_every_step, sort, walk_from):
    """Session 8 reads the waiting time from the index of the open steps: the same rows as
    before when two cases opened their steps at the same moment, when a case has no open
    step (it comes last) and when a repair left a case with two open steps (it is listed
    once, at the older), on every page, in My cases and in the queue."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    coordinator = mine_at_every_step
    mine = Case.objects.filter(status__in=states.ASSIGNABLE, handler=coordinator).order_by("pk")
    first, second, third, fourth = mine[:4]
    moment = _open_steps(first).get().created
    _open_steps(second).update(created=moment)  # a tie: then by id
    _open_steps(third).update(status=STATUS.DONE)  # no open step: last
    older = _open_steps(fourth).get()
    Task.objects.filter(pk=older.pk).update(created=moment)  # a tie, and a second step:
    older.pk = None
    older.save()
    Task.objects.filter(pk=older.pk).update(created=moment + timedelta(days=30))  # newest
    same = older
    same.pk = None
    same.save()
    Task.objects.filter(pk=same.pk).update(created=moment)  # and a third at the same moment
    queued = Case.objects.filter(status__in=states.WAITING_FOR_COORDINATOR, handler__isnull=True)
    queued_one = queued.first()
    _open_steps(queued_one).update(status=STATUS.DONE)
    submit_new(queued_one.created_by, queued_one.call)
    queue = Case.objects.filter(status__in=states.WAITING_FOR_COORDINATOR, handler__isnull=True)

    for new, old in (
        (selectors.my_cases(coordinator, sort), reference(mine, sort, coordinator_steps=False)),
        (selectors.coordinator_queue(sort), reference(queue, sort, coordinator_steps=True)),
    ):
        assert new.count() == len(old)
        assert any(case.waiting_since is None for case in old)
        assert rows(new[:]) == rows(old)
        for size in (1, 2, 3, len(old)):
            for start in range(len(old) + 1):
                assert rows(new[start : start + size]) == rows(old[start : start + size])


def test_a_walked_page_is_three_queries_whatever_its_size(
    mine_at_every_step, walk_from, django_assert_num_queries
):
    """The count, the walk and the rows for a page of My cases by waiting time that the
    open steps fill (walked); the count and the rows when sorted; the same for one row or
    five."""
    coordinator = mine_at_every_step
    queries = 3 if walk_from == "walked" else 2
    for sort in ("", "waiting", "-waiting"):
        for size in (1, 5):
            with django_assert_num_queries(queries):
                cases = selectors.my_cases(coordinator, sort)
                assert cases.count() == 6
                assert len(cases[0:size]) == size
