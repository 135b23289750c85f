"""The case flow's tasks written in batches (``CaseStart``, ``CaseStep`` with its timers
and the ``CaseSwitch`` before it, issue 17) keep viewflow's history: every task but the
start is linked to exactly one task before it, along an edge of the flow, and the
deadline row belongs to its step's task."""

import pytest
from viewflow.workflow.models import Task

from sparring.demo.bench.flow import RealFlow
from sparring.models import StepDeadline

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_task_of_a_case_is_linked_along_an_edge_of_the_flow(reference_data):
    driver = RealFlow()
    driver.run_case()
    case = driver.Case.objects.order_by("-pk").first()
    tasks = list(Task.objects.filter(process_id=case.process_id).prefetch_related("previous"))
    assert len(tasks) > 20
    for task in tasks:
        before = list(task.previous.all())
        if task.flow_task.name == "start":
            assert before == []
            continue
        assert len(before) == 1, task
        node = before[0].flow_task
        edges = {edge.dst for edge in node._outgoing()} | set(node._boundary_events)
        assert task.flow_task in edges, (before[0].flow_task, task.flow_task)
    for deadline in StepDeadline.objects.filter(case=case).select_related("task"):
        assert deadline.task.flow_task.name == deadline.step
        assert deadline.task.process_id == case.process_id
