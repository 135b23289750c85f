"""A waiting step's new rows (its tasks, their links, its deadline) are written in one
statement on PostgreSQL, the rows the ORM writes (``workflow.step_write``, issue 17).

The reference is the ORM path (``step_rows_insert_orm``: ``bulk_create`` of the tasks,
``save`` of the deadline, ``bulk_create`` of the links), which SQLite still takes; both
run on twins of the same new rows, and every column is compared but the ids, which are
compared as positions.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token

from sparring import clock
from sparring.cases import services
from sparring.models import StepDeadline
from tests.conftest import application_data
from tests.unit.cases.test_case_flow import approve
from workflow import step_write
from workflow.flows import SparringFlow
from workflow.nodes import unsaved_task
from workflow.step_write import step_rows_insert, step_rows_insert_orm

pytestmark = pytest.mark.django_db(transaction=True)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"
)

START = Token("start")
T0 = timezone.now().replace(microsecond=123456)

#: what is written before the step: a CaseSwitch's task (after a saved task), a CaseStart's
#: (the first task), or nothing (the step follows a saved task)
BEFORE = ["switch", "start", "saved"]


def _new_rows(process, case, before: str, timers: int, with_deadline: bool):
    """The unsaved rows ``CaseStep._create`` hands to the writer: the tasks, the links
    (task, task before it) and the deadline (or None); the same values on every call."""
    flow = SparringFlow
    saved = Task.objects.create(
        process=process,
        flow_task=flow.review,
        flow_task_type="HUMAN",
        status=STATUS.DONE,
        created=T0,
        finished=T0,
    )
    step = unsaved_task(flow.call_off, process, START, data={"ä": [1, None, "x"]}, created=T0)
    tasks, links = [step], []
    if before == "switch":
        switch = unsaved_task(flow.review_outcome, process, START, status=STATUS.DONE)
        switch.created, switch.finished = T0, T0 + timedelta(microseconds=5)
        tasks.insert(0, switch)
        links += [(step, switch), (switch, saved)]
    elif before == "start":
        start = unsaved_task(flow.start, process, START, status=STATUS.DONE, created=T0)
        start.started, start.finished = T0, T0
        tasks.insert(0, start)
        links.append((step, start))
    else:
        links.append((step, saved))
    for index, node in enumerate(flow.call_off._deadline_timers()[:timers]):
        timer = unsaved_task(node, process, START, status=STATUS.SCHEDULED, created=T0)
        timer.scheduled = T0 + timedelta(days=index + 1, microseconds=index)
        tasks.append(timer)
        links.append((timer, step))
    deadline = None
    if with_deadline:
        deadline = StepDeadline(
            case=case, step="call_off", task=step, since=T0, due=T0 + timedelta(days=5)
        )
    return tasks, links, deadline


def _written(process, tasks, deadline) -> dict:
    """Every row written for ``process``'s tasks, ids as positions in ``tasks``."""
    rows = list(Task.objects.filter(process=process).order_by("pk").values())
    at = {row["id"]: index for index, row in enumerate(rows)}
    for row in rows:
        row["id"] = at[row["id"]]
        row["process_id"] = None
    links = Task.previous.through.objects.filter(from_task__process=process)
    deadlines = list(StepDeadline.objects.filter(task__process=process).values())
    for row in deadlines:
        row["id"] = None
        row["task_id"] = at[row["task_id"]]
    return {
        "tasks": rows,
        "links": sorted((at[link.from_task_id], at[link.to_task_id]) for link in links),
        "deadlines": deadlines,
        "pks": [at.get(task.pk) for task in tasks],  # each instance's pk is its row's
        "adding": [task._state.adding for task in tasks]
        + ([deadline._state.adding] if deadline else []),
        "deadline": (at[deadline.task_id], deadline.pk is not None) if deadline else None,
    }


@postgresql_only
@pytest.mark.parametrize("before", BEFORE)
@pytest.mark.parametrize(("timers", "with_deadline"), [(3, True), (1, True), (0, False)])
def test_the_one_statement_writes_the_rows_the_orm_writes(
    submitted_case, before, timers, with_deadline
):
    results = []
    for writer in (step_rows_insert, step_rows_insert_orm):
        process = Process.objects.create(flow_class=SparringFlow)
        tasks, links, deadline = _new_rows(process, submitted_case, before, timers, with_deadline)
        with CaptureQueriesContext(connection) as statements:
            writer(Task, tasks, links, deadline)
        results.append((_written(process, tasks, deadline), len(statements)))
    (ours, our_statements), (theirs, _) = results
    assert ours == theirs
    assert our_statements == 1
    assert len(ours["tasks"]) == len(ours["pks"]) + 1  # the saved task before them
    assert ours["pks"] == list(range(1, len(ours["pks"]) + 1))
    assert not any(ours["adding"])
    if with_deadline:
        assert ours["deadlines"][0]["finished"] is None
        assert ours["deadlines"][0]["due"] == T0 + timedelta(days=5)


@postgresql_only
def test_the_task_ids_come_from_the_task_tables_sequence(submitted_case):
    process = Process.objects.create(flow_class=SparringFlow)
    tasks, links, deadline = _new_rows(process, submitted_case, "switch", 3, True)
    step_rows_insert(Task, tasks, links, deadline)
    after = Task.objects.create(process=process, flow_task=SparringFlow.review)
    assert [task.pk for task in tasks] == sorted(task.pk for task in tasks)
    assert after.pk > max(task.pk for task in tasks)


def _step_writes(statements) -> list[str]:
    """The statements that insert tasks, links or deadline rows."""
    tables = ('"viewflow_task"', "viewflow_task_previous", "sparring_stepdeadline")
    return [
        q["sql"]
        for q in statements.captured_queries
        if "INSERT INTO" in q["sql"] and any(t in q["sql"] for t in tables)
    ]


def test_a_step_with_its_switch_timers_and_deadline_is_written_in_one_statement(
    submitted_case, coordinator
):
    """The decision: the switch's task, the call-off's task, its three timers, their
    links and its deadline: one statement on PostgreSQL, three on SQLite."""
    with CaptureQueriesContext(connection) as statements:
        approve(submitted_case, coordinator)
    writes = _step_writes(statements)
    assert len(writes) == (1 if connection.vendor == "postgresql" else 3)
    deadline = StepDeadline.objects.get(case=submitted_case, step="call_off")
    step = Task.objects.get(pk=deadline.task_id)
    assert step.flow_task == SparringFlow.call_off and step.status == STATUS.NEW
    timers = Task.objects.filter(previous=step).order_by("pk")
    assert [t.flow_task for t in timers] == SparringFlow.call_off._deadline_timers()
    assert all(t.status == STATUS.SCHEDULED and t.scheduled for t in timers)
    switch = step.previous.get()
    assert (switch.flow_task, switch.status) == (SparringFlow.review_outcome, STATUS.DONE)
    assert switch.previous.get().flow_task == SparringFlow.review


def _process_rows(case) -> dict:
    """A case's flow rows without ids and timestamps of the moment they were written
    (ids as positions; timestamps as whether they are set)."""
    rows = list(Task.objects.filter(process_id=case.process_id).order_by("pk").values())
    at = {row["id"]: index for index, row in enumerate(rows)}
    for row in rows:
        row["id"], row["process_id"] = at[row["id"]], None
        for moment in ("created", "started", "finished"):
            row[moment] = row[moment] is not None
    links = Task.previous.through.objects.filter(from_task__process_id=case.process_id)
    deadlines = list(StepDeadline.objects.filter(case=case).order_by("pk").values())
    for row in deadlines:
        row["id"], row["case_id"], row["task_id"] = None, None, at[row["task_id"]]
        row["finished"] = row["finished"] is not None
    return {
        "tasks": rows,
        "links": sorted((at[link.from_task_id], at[link.to_task_id]) for link in links),
        "deadlines": deadlines,
    }


@postgresql_only
def test_a_case_submitted_and_approved_leaves_the_rows_of_the_orm_path(
    monkeypatch, applicant, open_call, coordinator
):
    """The whole flow through the services, the new statement against the ORM's three:
    the start with the review step, then the switch with the call-off step."""
    results, moment = [], clock.now()
    for one_statement in (True, False):
        if not one_statement:
            monkeypatch.setattr(step_write, "_insert_at_once", lambda *args: False)
        with clock.travel(moment, tick=False):
            case = services.case_create(actor=applicant, call=open_call, data=application_data())
            services.case_submit(actor=applicant, case=case, version=case.version)
            case.refresh_from_db()
            approve(case, coordinator)
        results.append(_process_rows(case))
    ours, theirs = results
    assert ours == theirs
    assert [row["step"] for row in ours["deadlines"]] == ["review", "call_off"]
    assert len(ours["tasks"]) == 10  # start, review, 3 timers, switch, call-off, 3 timers
