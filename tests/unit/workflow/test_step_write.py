"""A waiting step's new rows (its tasks, their links, its deadline), with the UPDATE of
the step done before it, are written in one statement on PostgreSQL, the rows the ORM
writes (``workflow.step_write``, issue 17).

The reference is the ORM path (``step_rows_insert_orm``: ``complete_with_timers`` of the
done step, ``bulk_create`` of the tasks, ``save`` of the deadline, ``bulk_create`` of the
links), which SQLite still takes; both run on twins of the same rows, and every column
is compared but the ids, which are compared as positions. Through the services, a case
is walked with the one statement and again with the ORM path (``one_statement`` off).
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
from sparring.models import SessionDay, StepDeadline
from tests.conftest import application_data
from tests.unit.cases.test_case_flow import approve, walk_to_delivery
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


def _new_rows(process, case, before: str, timers: int, with_deadline: bool, done: bool):
    """The rows ``CaseStep._create`` hands to the writer: the tasks, the links (task, task
    before it), the deadline (or None) and the done step (``(task, timers)``, or None);
    the same values on every call. The saved task before them is a review step's, started,
    with its three timers, one of them fired already."""
    flow = SparringFlow
    saved = Task.objects.create(
        process=process,
        flow_task=flow.review,
        flow_task_type="HUMAN",
        status=STATUS.STARTED,
        created=T0,
        started=T0,
    )
    review_timers = flow.review._deadline_timers()
    for node, status in zip(
        review_timers, [STATUS.DONE, STATUS.SCHEDULED, STATUS.SCHEDULED], strict=True
    ):
        fired = T0 if status == STATUS.DONE else None
        timer = Task.objects.create(
            process=process,
            flow_task=node,
            flow_task_type="TIMER",
            status=status,
            created=T0,
            scheduled=T0,
            finished=fired,
        )
        timer.previous.add(saved)
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
    held = None
    if done:
        saved.finished = T0 + timedelta(seconds=1, microseconds=3)
        held = (saved, review_timers)
    return tasks, links, deadline, held


def _written(process, tasks, deadline) -> dict:
    """Every row of ``process``'s tasks, their links and deadlines, ids as positions."""
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
@pytest.mark.parametrize("done", [True, False])
@pytest.mark.parametrize("before", BEFORE)
@pytest.mark.parametrize(("timers", "with_deadline"), [(3, True), (1, True), (0, False)])
def test_the_one_statement_writes_the_rows_the_orm_writes(
    submitted_case, before, timers, with_deadline, done
):
    results = []
    for writer in (step_rows_insert, step_rows_insert_orm):
        process = Process.objects.create(flow_class=SparringFlow)
        tasks, links, deadline, held = _new_rows(
            process, submitted_case, before, timers, with_deadline, done
        )
        with CaptureQueriesContext(connection) as statements:
            writer(Task, tasks, links, deadline, held)
        results.append((_written(process, tasks, deadline), len(statements)))
    (ours, our_statements), (theirs, _) = results
    assert ours == theirs
    assert our_statements == 1
    assert len(ours["tasks"]) == len(ours["pks"]) + 4  # the saved tasks before them
    assert ours["pks"] == list(range(4, len(ours["pks"]) + 4))
    review = [row["status"] for row in ours["tasks"][:4]]
    if done:
        assert review == [STATUS.DONE, STATUS.DONE, STATUS.CANCELED, STATUS.CANCELED]
    else:
        assert review == [STATUS.STARTED, STATUS.DONE, STATUS.SCHEDULED, STATUS.SCHEDULED]
    assert not any(ours["adding"])
    if with_deadline:
        assert ours["deadlines"][0]["finished"] is None
        assert ours["deadlines"][0]["due"] == T0 + timedelta(days=5)


@postgresql_only
def test_the_task_ids_come_from_the_task_tables_sequence(submitted_case):
    process = Process.objects.create(flow_class=SparringFlow)
    tasks, links, deadline, held = _new_rows(process, submitted_case, "switch", 3, True, True)
    step_rows_insert(Task, tasks, links, deadline, held)
    after = Task.objects.create(process=process, flow_task=SparringFlow.review)
    assert [task.pk for task in tasks] == sorted(task.pk for task in tasks)
    assert after.pk > max(task.pk for task in tasks)


def _task_writes(statements) -> list[str]:
    """The statements that write tasks, links or deadline rows."""
    tables = ('"viewflow_task"', "viewflow_task_previous", "sparring_stepdeadline")
    return [
        q["sql"]
        for q in statements.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "WITH")) and any(t in q["sql"] for t in tables)
    ]


def test_a_step_done_and_the_next_with_its_switch_timers_and_deadline_is_one_statement(
    submitted_case, coordinator
):
    """The decision: the review's task done and its timers cancelled, the switch's task,
    the call-off's task, its three timers, their links and its deadline: one statement on
    PostgreSQL; on SQLite the UPDATE and three inserts."""
    with CaptureQueriesContext(connection) as statements:
        approve(submitted_case, coordinator)
    writes = _task_writes(statements)
    assert len(writes) == (1 if connection.vendor == "postgresql" else 4), writes
    deadline = StepDeadline.objects.get(case=submitted_case, step="call_off")
    step = Task.objects.get(pk=deadline.task_id)
    assert step.flow_task == SparringFlow.call_off and step.status == STATUS.NEW
    timers = Task.objects.filter(previous=step).order_by("pk")
    assert [t.flow_task for t in timers] == SparringFlow.call_off._deadline_timers()
    assert all(t.status == STATUS.SCHEDULED and t.scheduled for t in timers)
    switch = step.previous.get()
    assert (switch.flow_task, switch.status) == (SparringFlow.review_outcome, STATUS.DONE)
    review = switch.previous.get()
    assert review.flow_task == SparringFlow.review and review.status == STATUS.DONE
    assert set(Task.objects.filter(previous=review).values_list("status", flat=True)) == {
        STATUS.CANCELED,
        STATUS.DONE,  # the switch
    }
    review_deadline = StepDeadline.objects.get(task=review)
    assert review_deadline.finished == review.finished is not None


def test_a_rejected_case_ends_its_process_after_the_review_is_written_done(
    submitted_case, coordinator
):
    """The switch after the review goes to the end, not a step: the review's UPDATE is
    written before the end asks whether any task is open (the process ends)."""
    services.case_decide(
        actor=coordinator,
        case=submitted_case,
        decision="reject",
        comment="Ei rahoiteta.",
        version=submitted_case.version,
    )
    submitted_case.process.refresh_from_db()
    assert submitted_case.process.status == STATUS.DONE
    statuses = set(
        Task.objects.filter(process_id=submitted_case.process_id).values_list("status", flat=True)
    )
    assert statuses == {STATUS.DONE, STATUS.CANCELED}
    assert not StepDeadline.objects.filter(case=submitted_case).open().exists()


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
def test_a_case_walked_to_delivery_leaves_the_rows_of_the_orm_path(
    monkeypatch, applicant, open_call, coordinator, consultant
):
    """The flow through the services, the one statement against the ORM's writes (and
    each step's UPDATE on its own): the start with the review, a switch to the call-off,
    a step to the offer, switches to the scheduling and the delivery, a step between."""
    results, moment = [], clock.now()
    for one_statement in (True, False):
        if not one_statement:
            monkeypatch.setattr(step_write, "one_statement", lambda: False)
        with clock.travel(moment, tick=False):
            case = services.case_create(actor=applicant, call=open_call, data=application_data())
            case = services.case_submit(actor=applicant, case=case, version=case.version)
            case = walk_to_delivery(case, coordinator, consultant, applicant)
        results.append(_process_rows(case))
        SessionDay.objects.filter(case=case).delete()  # the consultant is free for the next
    ours, theirs = results
    assert ours == theirs
    steps = ["review", "call_off", "offer", "schedule", "confirm", "deliver"]
    assert [row["step"] for row in ours["deadlines"]] == steps
    assert [row["finished"] for row in ours["deadlines"]] == [True] * 5 + [False]
    assert len(ours["tasks"]) == 1 + 6 * 4 + 3  # start, steps with their timers, switches


def test_a_step_with_another_kind_of_boundary_arms_it_viewflows_way():
    """A boundary that is not a deadline timer (here viewflow's ``TimerBoundary``) is
    armed after the step's rows are written, linked to the step's task; when the step is
    done (its UPDATE held for the next step on PostgreSQL) every timer of it is cancelled
    and the next step is written with its own timer."""
    from django.db import transaction

    from tests.jobflow.flows import StepBoundaryProbeFlow as Flow

    with transaction.atomic():
        process = Flow.start.run()
    first = Task.objects.get(process=process, flow_task=Flow.first)
    timers = Task.objects.filter(previous=first).order_by("pk")
    assert [(t.flow_task.name, t.status) for t in timers] == [
        ("first__timeout", STATUS.SCHEDULED),
        ("first__timeout_2", STATUS.SCHEDULED),
    ]
    assert all(t.scheduled is not None for t in timers)
    Flow.first.run(first)
    first.refresh_from_db()
    assert first.status == STATUS.DONE and first.finished is not None
    assert set(Task.objects.filter(previous=first).values_list("flow_task", "status")) == {
        (Flow.first._boundary_events[0], STATUS.CANCELED),
        (Flow.first._boundary_events[1], STATUS.CANCELED),
        (Flow.second, STATUS.NEW),
    }
    second = Task.objects.get(process=process, flow_task=Flow.second)
    assert list(Task.objects.filter(previous=second).values_list("status", flat=True)) == [
        STATUS.SCHEDULED
    ]
