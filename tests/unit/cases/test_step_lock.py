"""The flow lock of a step and the read of its open task (issue 17).

On PostgreSQL one statement reads the case's open tasks and takes the lock
(``workflow.lock.locked_tasks``: ``FOR UPDATE OF`` the process and the tasks). A
statement that waited for the lock reads the rows as of its start, so these tests
hold the lock in one thread while another waits for it, and check that the waiting
step sees what the first one did: a task it completed is no longer open (one
winner, whatever the work checks itself), a task it opened is found.
"""

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.status import STATUS

from sparring.cases.transitions import (
    StepNotAvailable,
    _open_tasks,
    _step_task,
    case_move,
    step_run,
)
from sparring.models import Case
from tests.lock_waits import wait_until_someone_waits_for_a_lock

postgresql_only = pytest.mark.skipif(
    not settings.USES_POSTGRESQL, reason="PostgreSQL's row lock (SQLite: a cache lock)"
)


def _approve(case: Case) -> None:
    case_move(case, source=[Case.Status.SUBMITTED], version=None, target=Case.Status.APPROVED)


@pytest.mark.django_db
def test_the_step_found_under_the_lock_is_the_open_task_read_the_old_way(submitted_case):
    """The same node and task as the read that followed the lock before (comparison)."""
    case = Case.objects.get(pk=submitted_case.pk)
    flow_class = case.process.flow_class
    expected = _step_task(case, "review", list(_open_tasks(case, flow_class)))
    assert expected is not None
    seen = []

    def work():
        seen.append(True)
        _approve(case)

    step_run(Case.objects.get(pk=case.pk), "review", work)
    assert seen == [True]
    node, task = expected
    task.refresh_from_db()
    assert task.status == STATUS.DONE
    assert node.name == "review"


@pytest.mark.django_db
def test_a_step_that_is_not_open_is_refused_and_its_work_not_done(submitted_case):
    case = Case.objects.get(pk=submitted_case.pk)
    with pytest.raises(StepNotAvailable):
        step_run(case, "close", lambda: pytest.fail("work of a step that is not open"))


@postgresql_only
@pytest.mark.django_db
def test_on_postgresql_the_lock_is_taken_by_the_read_of_the_open_tasks(submitted_case):
    case = Case.objects.get(pk=submitted_case.pk)
    with CaptureQueriesContext(connection) as queries:
        step_run(case, "review", lambda: _approve(case))
    sql = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SAVEPOINT")]
    assert 'FROM "viewflow_task"' in sql[0]  # the test's transaction: a savepoint first
    assert sql[0].endswith('FOR UPDATE OF "viewflow_process", "viewflow_task"')
    assert not any(
        q["sql"].startswith('SELECT 1 AS "a" FROM "viewflow_process"')
        for q in queries.captured_queries
    )


def _race(case_pk: int, first_work, second_step: str) -> dict:
    """The first thread takes ``review`` (the decision) and, holding the lock, lets the second try
    ``second_step``; returns what the second one did (``ran``) or raised (``error``)."""
    outcome: dict = {}
    _race_with(
        case_pk,
        first_work,
        lambda case: step_run(case, second_step, lambda: outcome.setdefault("ran", True)),
        outcome,
    )
    return outcome


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_step_completed_while_another_waited_for_the_lock_is_not_open_for_it(submitted_case):
    """The second one's work does not look at the case's version: only the lock and the
    read under it keep it from completing the step a second time."""
    outcome = _race(submitted_case.pk, _approve, "review")
    assert isinstance(outcome.get("error"), StepNotAvailable), outcome
    assert "ran" not in outcome
    case = Case.objects.get(pk=submitted_case.pk)
    reviews = case.process.task_set.filter(flow_task=case.process.flow_class.review)
    assert [task.status for task in reviews] == [STATUS.DONE]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_step_opened_while_another_waited_for_the_lock_is_found_by_it(submitted_case):
    """The call-off's task is inserted by the decision the second one waited for: not in
    the locking read's rows (its snapshot is older), found by the read after it."""
    outcome = _race(submitted_case.pk, _approve, "call_off")
    assert outcome == {"ran": True}, outcome


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_waiter_that_finds_the_step_gone_lets_the_lock_go_before_anything_else(
    submitted_case,
):
    """When 32 people take the same step at once, the 31 who waited for the winner are
    given the lock one after the other (PostgreSQL keeps the process row locked for a read
    whose task row no longer matched): each must end its transaction right after its
    locking read, not read on under the lock, or the last waits for every other's
    statements (issue 17: concurrent completions). The step is then looked for without
    a lock: it is gone, and nothing else is locked or read under a lock."""
    outcome: dict = {}

    def capture(case):
        with CaptureQueriesContext(connection) as queries:
            try:
                step_run(case, "review", lambda: outcome.setdefault("ran", True))
            finally:
                outcome["sql"] = [q["sql"] for q in queries.captured_queries]

    _race_with(submitted_case.pk, _approve, capture, outcome)
    assert isinstance(outcome.get("error"), StepNotAvailable), outcome
    assert "ran" not in outcome
    sql = outcome["sql"]
    locking = [n for n, s in enumerate(sql) if "FOR UPDATE" in s]
    assert len(locking) == 1, sql  # only the read that waited took a lock
    assert sql[locking[0] + 1] == "ROLLBACK", sql  # and nothing ran under it after it
    assert sql[locking[0] + 2].startswith('SELECT "viewflow_task"'), sql  # then read, unlocked
    assert len(sql) == locking[0] + 3, sql


def _race_with(case_pk: int, first_work, second, outcome: dict) -> None:
    """The first thread takes ``review`` with ``first_work`` and, holding the lock, lets
    the second run ``second(case)`` (its errors in ``outcome["error"]``)."""
    second_may_go = threading.Event()

    def first():
        try:
            case = Case.objects.get(pk=case_pk)

            def work():
                first_work(case)
                second_may_go.set()
                wait_until_someone_waits_for_a_lock()

            step_run(case, "review", work)
        except BaseException as exc:
            outcome["first_error"] = exc
            second_may_go.set()
        finally:
            connection.close()

    def waiting():
        second_may_go.wait(20)
        try:
            second(Case.objects.get(pk=case_pk))
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=waiting)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert "first_error" not in outcome, outcome
