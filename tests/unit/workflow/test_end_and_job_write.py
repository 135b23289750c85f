"""The end of the case flow and the report's PDF job, written as a waiting step is
(``workflow.step_write``, issue 17): on PostgreSQL the UPDATE of the step done before
and the new task (a ``CaseEnd``'s, done, with the process's end; a ``CeleryJob``'s,
SCHEDULED) with its link are one statement.

The reference is the ORM path (``step_rows_insert_orm``: the done step's UPDATE, the
task, the link, then ``process_finish_if_last``), which SQLite still takes. The
statement's "no open task" cannot see its own UPDATE of the done step (one snapshot):
the tests check that the process ends exactly when the ORM path ends it, with another
task still open or not. A case walked from draft to closed leaves the same rows both
ways.
"""

from datetime import datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token

from sparring.cases import services
from sparring.models import Case, StepDeadline
from workflow import step_write
from workflow.flows import SparringFlow
from workflow.nodes import unsaved_task
from workflow.step_write import step_rows_insert, step_rows_insert_orm

pytestmark = pytest.mark.django_db(transaction=True)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"
)

START = Token("start")
T0 = timezone.now().replace(microsecond=654321)


def _close_step(process, other_open: str):
    """A started close step with its three timers (one fired, two open), and
    ``other_open``: "none", "timer" (a task of another step, open) or "new" (a new one)."""
    flow = SparringFlow
    step = Task.objects.create(
        process=process,
        flow_task=flow.close,
        flow_task_type="HUMAN",
        status=STATUS.STARTED,
        created=T0,
        started=T0,
    )
    timers = flow.close._deadline_timers()
    for node, status in zip(timers, [STATUS.DONE, STATUS.SCHEDULED, STATUS.SCHEDULED], strict=True):
        timer = Task.objects.create(
            process=process,
            flow_task=node,
            flow_task_type="TIMER",
            status=status,
            created=T0,
            scheduled=T0,
            finished=T0 if status == STATUS.DONE else None,
        )
        timer.previous.add(step)
    if other_open != "none":
        Task.objects.create(
            process=process,
            flow_task=flow.report._deadline_timers()[0] if other_open == "timer" else flow.review,
            flow_task_type="TIMER" if other_open == "timer" else "HUMAN",
            status=STATUS.SCHEDULED if other_open == "timer" else STATUS.NEW,
            created=T0,
        )
    return step, timers


def _rows(process, tasks) -> dict:
    """Every row of ``process``'s tasks and links (ids as positions) and the process's."""
    rows = list(Task.objects.filter(process=process).order_by("pk").values())
    at = {row["id"]: index for index, row in enumerate(rows)}
    for row in rows:
        row["id"], row["process_id"] = at[row["id"]], None
    links = Task.previous.through.objects.filter(from_task__process=process)
    stored = Process.objects.values("status", "finished").get(pk=process.pk)
    return {
        "tasks": rows,
        "links": sorted((at[link.from_task_id], at[link.to_task_id]) for link in links),
        "process": (stored["status"], stored["finished"] is not None),
        "instance": (process.status, process.finished == stored["finished"]),
        "pks": [at.get(task.pk) for task in tasks],
        "adding": [task._state.adding for task in tasks],
    }


@postgresql_only
@pytest.mark.parametrize("other_open", ["none", "timer", "new"])
@pytest.mark.parametrize("done", [True, False])
def test_the_end_in_one_statement_writes_what_the_orm_writes(other_open, done):
    """The close step done (its open timers cancelled), the end's task and link, and the
    process ended exactly when no task is left open; without a done step (the task
    before the end saved already: a switch's, a function's) the same."""
    results = []
    for writer in (step_rows_insert, step_rows_insert_orm):
        process = Process.objects.create(flow_class=SparringFlow)
        step, timers = _close_step(process, other_open)
        if not done:  # the step written done before (as after a switch)
            Task.objects.filter(process=process, finished__isnull=True).exclude(
                flow_task__in=[SparringFlow.report._deadline_timers()[0], SparringFlow.review]
            ).update(status=STATUS.DONE, finished=T0)
        end = unsaved_task(SparringFlow.closed, process, START, status=STATUS.DONE, created=T0)
        end.started = end.finished = T0 + timedelta(microseconds=7)
        step.finished = T0 + timedelta(seconds=2)
        held = (step, timers) if done else None
        with transaction.atomic(), CaptureQueriesContext(connection) as statements:
            ended = writer(Task, [end], [(end, step)], done=held, finish=process)
        results.append((_rows(process, [end]), ended, len(statements)))
    (ours, our_end, our_count), (theirs, their_end, their_count) = results
    assert ours == theirs
    assert our_end is their_end is (other_open == "none")
    assert ours["process"] == (("DONE", True) if other_open == "none" else ("NEW", False))
    assert (our_count, their_count) == (1, 4 if done else 3)
    assert not any(ours["adding"])


@postgresql_only
def test_the_one_statement_refuses_an_open_new_task_with_the_process_end():
    """The statement's "no open task" does not see its own new rows: it is given only
    finished new tasks (a CaseEnd's)."""
    process = Process.objects.create(flow_class=SparringFlow)
    step, timers = _close_step(process, "none")
    task = unsaved_task(SparringFlow.review, process, START, created=T0)
    with pytest.raises(ValueError, match="finished new tasks"):
        step_rows_insert(Task, [task], [(task, step)], done=(step, timers), finish=process)


@postgresql_only
def test_the_job_task_in_one_statement_writes_what_the_orm_writes():
    """The report step done (its timers cancelled) and the PDF job's task, SCHEDULED with
    its message id, and its link: the ORM's rows, one statement."""
    results = []
    for writer in (step_rows_insert, step_rows_insert_orm):
        process = Process.objects.create(flow_class=SparringFlow)
        step, timers = _close_step(process, "none")
        job = unsaved_task(
            SparringFlow.render_report,
            process,
            START,
            status=STATUS.SCHEDULED,
            external_task_id="6f1c1f8e-1111-4c4c-9b9b-000000000001",
            created=T0,
        )
        step.finished = T0 + timedelta(seconds=3)
        with transaction.atomic(), CaptureQueriesContext(connection) as statements:
            ended = writer(Task, [job], [(job, step)], done=(step, timers))
        results.append((_rows(process, [job]), ended, len(statements)))
    (ours, our_end, our_count), (theirs, their_end, their_count) = results
    assert ours == theirs
    assert our_end is their_end is False
    assert (our_count, their_count) == (1, 3)
    assert ours["tasks"][-1]["status"] == STATUS.SCHEDULED


def _task_writes(statements) -> list[str]:
    tables = ('"viewflow_task"', "viewflow_task_previous", '"viewflow_process"')
    return [
        q["sql"]
        for q in statements.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "WITH")) and any(t in q["sql"] for t in tables)
    ]


def test_a_rejected_case_ends_in_one_statement_after_its_switch(submitted_case, coordinator):
    """Reject: the review done, the switch's task, the end's task, its link and the
    process's end. The switch writes the review's UPDATE and its own task and link; the
    end is one statement on PostgreSQL (three on SQLite)."""
    with CaptureQueriesContext(connection) as statements:
        services.case_decide(
            actor=coordinator,
            case=submitted_case,
            decision="reject",
            comment="Ei rahoiteta.",
            version=submitted_case.version,
        )
    writes = _task_writes(statements)
    assert len(writes) == (4 if connection.vendor == "postgresql" else 6), writes
    process = Process.objects.get(pk=submitted_case.process_id)
    assert process.status == STATUS.DONE and process.finished is not None
    end = Task.objects.get(process=process, flow_task=SparringFlow.rejected)
    assert end.status == STATUS.DONE and end.finished and end.started
    assert end.previous.get().flow_task == SparringFlow.review_outcome


def _walk(monkeypatch, driver, one_statement: bool) -> tuple[dict, int, list]:
    """One case draft -> closed as ``manage.py bench_flow`` drives it (``driver``, a
    ``RealFlow``); its flow rows (ids as positions, moments as whether they are set),
    its process, each step's count and statements."""
    monkeypatch.setattr(step_write, "one_statement", lambda: one_statement)
    steps = driver.run_case(keep_sql=True)
    case = Case.objects.order_by("-pk").first()
    rows = list(Task.objects.filter(process_id=case.process_id).order_by("pk").values())
    at = {row["id"]: index for index, row in enumerate(rows)}

    def plain(row):
        return {
            key: value is not None if isinstance(value, datetime) or key == "finished" else value
            for key, value in row.items()
        }

    for row in rows:
        row["id"], row["process_id"] = at[row["id"]], None
        row["external_task_id"] = row["external_task_id"] is not None
    links = Task.previous.through.objects.filter(from_task__process_id=case.process_id)
    deadlines = [
        plain({**row, "id": None, "case_id": None, "task_id": at[row["task_id"]]})
        for row in StepDeadline.objects.filter(case=case).order_by("pk").values()
    ]
    process = Process.objects.get(pk=case.process_id)
    return (
        {
            "tasks": [plain(row) for row in rows],
            "links": sorted((at[link.from_task_id], at[link.to_task_id]) for link in links),
            "deadlines": deadlines,
            "process": (process.status, process.finished is not None),
            "case": case.status,
        },
        {step["step"]: step["queries"] for step in steps},
        steps,
    )


@postgresql_only
def test_a_case_walked_to_closed_leaves_the_rows_of_the_orm_path(monkeypatch, reference_data):
    """The whole flow through the services (the report step to the PDF job, the job's
    completion, the feedback timer, the close step to the end), the one statement
    against the ORM's writes: the same rows; the report (the job's task, the feedback
    timer's) and the close send three statements fewer each."""
    from sparring.demo.bench.flow import RealFlow

    driver = RealFlow()
    driver.run_case()  # the first case pays for one-time look-ups
    theirs, their_counts, _ = _walk(monkeypatch, driver, False)
    ours, our_counts, _ = _walk(monkeypatch, driver, True)
    assert ours == theirs
    assert ours["process"] == ("DONE", True) and ours["case"] == Case.Status.CLOSED
    end = ours["tasks"][-1]
    assert end["flow_task"] == SparringFlow.closed and end["status"] == STATUS.DONE
    job = [row for row in ours["tasks"] if row["flow_task"] == SparringFlow.render_report]
    assert [(row["status"], row["external_task_id"]) for row in job] == [(STATUS.DONE, True)]
    assert their_counts["close"] - our_counts["close"] == 3
    assert their_counts["report"] - our_counts["report"] == 3  # the job's and the timer's


@postgresql_only
def test_the_close_step_writes_its_flow_rows_in_one_statement(monkeypatch, reference_data):
    """The close: the step done, its timers cancelled, the end's task, its link and the
    process's end: one statement."""
    from sparring.demo.bench.flow import RealFlow

    _, _, steps = _walk(monkeypatch, RealFlow(), True)
    close = next(step for step in steps if step["step"] == "close")
    flow_writes = [
        sql
        for sql in close["sql"]
        if sql.startswith(("INSERT", "UPDATE", "WITH"))
        and any(t in sql for t in ('"viewflow_task"', '"viewflow_process"'))
    ]
    assert len(flow_writes) == 1, flow_writes
    assert flow_writes[0].startswith("WITH done AS (UPDATE")


@postgresql_only
def test_an_end_that_records_its_failures_writes_the_held_step_before_it_asks(
    monkeypatch, reference_data
):
    """An end reached where failures are recorded on the task (a background step: its
    own savepoint) keeps its own statements: the done step's UPDATE held back for it is
    written first, so the process still ends, with the rows of the ORM path."""
    from viewflow.workflow.context import Context

    from sparring.demo.bench.flow import RealFlow

    close = services.case_close

    def recorded_close(**kwargs):
        with Context(propagate_exception=False):
            return close(**kwargs)

    driver = RealFlow()
    driver.run_case()
    theirs, their_counts, _ = _walk(monkeypatch, driver, False)
    monkeypatch.setattr(services, "case_close", recorded_close)
    ours, our_counts, _ = _walk(monkeypatch, driver, True)
    assert ours == theirs
    assert ours["process"] == ("DONE", True)
    assert our_counts["close"] == their_counts["close"] + 2  # the end's savepoint, release
