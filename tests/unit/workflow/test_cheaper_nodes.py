"""The product's cheaper flow nodes (``workflow.nodes``: ``CaseTimer``, ``CaseFunction``,
``CaseEnd``) leave the same tasks, links and process as viewflow's own nodes, in fewer
statements, also when the function fails (issue 17)."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Task

from tests.jobflow.flows import CaseNodeProbeFlow, NodeProbeFlow
from workflow import timers

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
