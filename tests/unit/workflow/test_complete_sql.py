"""``nodes.complete_with_timers`` writes what the ORM update it replaced wrote (issue 17).

The reference is that update, kept here; both run on twins of the same tasks: the
step's task, its timers in every status (open, scheduled, done, cancelled), a timer
of another task, a task linked to the step that is not one of its timers, and the
same nodes in another process.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Case, F, Q, Value, When
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from workflow.flows import SparringFlow
from workflow.nodes import complete_with_timers

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=123456)


def reference(task_class, task, timers) -> None:
    """The ORM update ``CaseStepActivation.complete`` sent before (session 8)."""
    manager = task_class._default_manager
    step_task = Q(pk=task.pk)
    open_timers = Q(
        pk__in=manager.filter(
            process_id=task.process_id,
            previous=task,
            flow_task__in=timers,
            status__in=[STATUS.NEW, STATUS.SCHEDULED],
        ).values("pk")
    )
    manager.filter(step_task | open_timers).update(
        status=Case(When(step_task, then=Value(STATUS.DONE)), default=Value(STATUS.CANCELED)),
        started=Case(When(step_task, then=Value(task.started)), default=F("started")),
        finished=task.finished,
    )


def _world():
    """Two processes of the flow's tasks; returns the step's task and every task made."""
    flow = SparringFlow
    timers = flow.review._deadline_timers()
    made = []

    def task(process, node, status, previous=None, started=None):
        row = Task.objects.create(
            process=process,
            flow_task=node,
            flow_task_type=node.task_type,
            status=status,
            started=started,
        )
        if previous is not None:
            row.previous.add(previous)
        made.append(row)
        return row

    processes = [Process.objects.create(flow_class=flow) for _ in range(2)]
    for process in processes:
        step = task(process, flow.review, STATUS.STARTED, started=T0)
        other = task(process, flow.review, STATUS.NEW)
        task(process, timers[0], STATUS.NEW, previous=step)
        task(process, timers[1], STATUS.SCHEDULED, previous=step)
        task(process, timers[2], STATUS.DONE, previous=step, started=T0)
        task(process, timers[2], STATUS.CANCELED, previous=step)
        task(process, timers[0], STATUS.SCHEDULED, previous=other)  # another task's timer
        task(process, flow.review_outcome, STATUS.NEW, previous=step)  # not a timer
    first_step = made[0]
    first_step.started = T0
    first_step.finished = T0 + timedelta(minutes=5, microseconds=7)
    return first_step, timers, made


def _state(made) -> list[tuple]:
    rows = Task.objects.filter(pk__in=[t.pk for t in made]).order_by("pk")
    return list(rows.values_list("status", "started", "finished"))


@pytest.mark.parametrize("how_many", [3, 1])
def test_complete_with_timers_writes_what_the_orm_update_wrote(how_many):
    step, timers, made = _world()
    with CaptureQueriesContext(connection) as statements:
        complete_with_timers(Task, step, timers[:how_many])
    ours = _state(made)
    assert len(statements) == 1
    Task.objects.filter(pk__in=[t.pk for t in made]).delete()
    Process.objects.all().delete()

    step, timers, made = _world()
    reference(Task, step, timers[:how_many])
    theirs = _state(made)
    assert ours == theirs
    assert ours[0] == (STATUS.DONE, T0, step.finished)
    assert ours[2][0] == STATUS.CANCELED  # the open timer
    untouched = [STATUS.STARTED, STATUS.NEW, STATUS.NEW, STATUS.SCHEDULED]
    untouched += [STATUS.DONE, STATUS.CANCELED, STATUS.SCHEDULED, STATUS.NEW]
    assert [row[0] for row in ours[8:]] == untouched  # the other process's
    assert [ours[i][0] for i in (1, 6, 7)] == [STATUS.NEW, STATUS.SCHEDULED, STATUS.NEW]
