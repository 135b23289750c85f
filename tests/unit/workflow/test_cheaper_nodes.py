"""The product's cheaper flow nodes (``workflow.nodes``: ``CaseTimer``, ``CaseFunction``,
``CaseEnd``) leave the same tasks, links and process as viewflow's own nodes, in fewer
statements, also when the function fails (issue 17)."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Task

from tests.jobflow.flows import CaseNodeProbeFlow, CaseStepProbeFlow, NodeProbeFlow, StepProbeFlow
from workflow import timers
from workflow.nodes import process_finish_if_last

pytestmark = pytest.mark.django_db(transaction=True)


def run(flow_class, **data):
    """Start a probe, make its timer due and fire it; the process, its tasks (node,
    status, the nodes before it, the failure's title) and the statements the firing took."""
    with transaction.atomic():
        process = flow_class.start.run(**data)
    Task.objects.filter(process=process, flow_task=flow_class.wait).update(
        scheduled=timezone.now() - timedelta(seconds=1)
    )
    with CaptureQueriesContext(connection) as fired:
        timers.fire_due_timers()
    process.refresh_from_db()
    tasks = [
        (
            task.flow_task.name,
            task.status,
            sorted(p.flow_task.name for p in task.previous.all()),
            (task.data or {}).get("_exception", {}).get("title"),
            task.finished is not None,
        )
        for task in Task.objects.filter(process=process).order_by("pk")
    ]
    return (process.status, process.finished is not None, tasks), len(fired)


@pytest.mark.parametrize("mode", ["ok", "fail"])
def test_a_function_followed_by_a_step_leaves_what_viewflows_nodes_leave(mode):
    """A CaseFunction done before a CaseStep is inserted with the step's tasks (issue 17)."""
    viewflows, viewflow_statements = run(StepProbeFlow, mode=mode)
    ours, our_statements = run(CaseStepProbeFlow, mode=mode)
    assert ours == viewflows
    assert our_statements < viewflow_statements


@pytest.mark.parametrize("mode", ["ok", "fail"])
def test_the_cheaper_nodes_leave_what_viewflows_nodes_leave(mode):
    viewflows, viewflow_statements = run(NodeProbeFlow, mode=mode)
    ours, our_statements = run(CaseNodeProbeFlow, mode=mode)
    assert ours == viewflows
    assert our_statements < viewflow_statements


def test_a_failed_function_is_recorded_on_its_task_linked_to_the_timer():
    (status, finished, tasks), _statements = run(CaseNodeProbeFlow, mode="fail")
    assert ("act", "ERROR", ["wait"], "probe function failed on purpose", True) in tasks
    assert status == "NEW" and not finished
    assert [t for t in tasks if t[0] == "end"] == []


def end_reference(task_class, process, exclude_task=None) -> bool:
    """The reference: viewflow's End, an EXISTS query and then a save of the process
    (what ``process_finish_if_last`` replaced)."""
    others = task_class._default_manager.filter(process=process, finished__isnull=True)
    if exclude_task is not None:
        others = others.exclude(pk=exclude_task)
    last = not others.exists()
    if last:
        process.status = "DONE"
        process.finished = timezone.now()
        process.save(update_fields=["status", "finished"])
    return last


@pytest.mark.parametrize("finish", [end_reference, process_finish_if_last])
def test_the_process_is_finished_in_one_update_as_by_the_query_and_save(finish):
    with transaction.atomic():
        process = CaseNodeProbeFlow.start.run(mode="ok")
    wait = Task.objects.get(process=process, flow_task=CaseNodeProbeFlow.wait)
    with transaction.atomic():  # the timer is open: not the last
        assert finish(Task, process) is False
    process.refresh_from_db()
    assert (process.status, process.finished) == ("NEW", None)
    with transaction.atomic():  # the open task is the one excluded: the last
        assert finish(Task, process, exclude_task=wait.pk) is True
    assert process.status == "DONE" and process.finished is not None
    stored = type(process).objects.get(pk=process.pk)
    assert (stored.status, stored.finished) == ("DONE", process.finished)


def test_the_end_of_a_process_costs_one_statement():
    with transaction.atomic():
        process = CaseNodeProbeFlow.start.run(mode="ok")
    Task.objects.filter(process=process).update(finished=timezone.now())
    with transaction.atomic(), CaptureQueriesContext(connection) as ended:
        assert process_finish_if_last(Task, process) is True
    assert [q["sql"].split()[0] for q in ended.captured_queries] == ["UPDATE"]


def test_a_timer_fired_by_another_sweep_meanwhile_is_not_fired_again():
    """The sweep fires a CaseTimer from its own read, by a compare-and-set on SCHEDULED
    (no second read under the lock; issue 17): a sweep holding the task as it was before
    another sweep fired it fires nothing and writes nothing."""
    with transaction.atomic():
        process = CaseNodeProbeFlow.start.run(mode="ok")
    Task.objects.filter(process=process, flow_task=CaseNodeProbeFlow.wait).update(
        scheduled=timezone.now() - timedelta(seconds=1)
    )
    held = Task.objects.select_related(*timers.DUE_TIMER_RELATED).get(
        process=process, flow_task=CaseNodeProbeFlow.wait
    )
    assert timers.fire_due_timers() == 1
    tasks = list(Task.objects.filter(process=process).values_list("pk", "status", "finished"))
    assert timers.fire_claimed(held) == 0
    assert (
        list(Task.objects.filter(process=process).values_list("pk", "status", "finished")) == tasks
    )
    process.refresh_from_db()
    assert process.status == "DONE"
