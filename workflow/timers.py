"""The timer sweep on the product's clock.

viewflow fires a database timer (``flow.Timer``, ``.OnTimeout``) when its task
is SCHEDULED and due; its own sweep reads the process clock. This one asks
``sparring.clock`` instead, so that the timers of a case run on the same time as
its services and deadlines (the demo replay moves that clock through 2021-2022).
Each task is re-checked under its flow lock, so several sweeps at once (beat, the
embedded ``timer_loop``) fire each timer once.
"""

import logging

from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from sparring import clock

from .lock import lock_taken_by_claim
from .nodes import TimerFiredAlready
from .services import locked_activation

logger = logging.getLogger(__name__)


#: What the sweep reads with each due timer: its process and, for a case's flow, the case
#: and its organisation, which the timer's function and its e-mails read (issue 17).
DUE_TIMER_RELATED = ("process__case__organisation",)


def fire_claimed(task: Task) -> int:
    """Fire a due timer whose activation writes its firing as a compare-and-set on
    SCHEDULED (``workflow.nodes.CaseTimerActivation``), under its flow lock, from the
    sweep's read of it: no second read under the lock (one query fewer per timer); on
    PostgreSQL that UPDATE takes the flow lock itself (one query fewer again).
    Returns 1 when fired, 0 when another sweep fired it (or it was cancelled) meanwhile.
    """
    node = task.flow_task
    try:
        with lock_taken_by_claim(node.flow_class, task.process_id) as lock_with_claim:
            activation = node.activation_class(task)
            activation.lock_with_claim = lock_with_claim  # on PostgreSQL: its UPDATE locks
            activation.start()  # writes nothing (CaseTimerActivation)
            activation.execute()
    except TimerFiredAlready:
        logger.info("Timer task %s was fired by another sweep", task.pk)
        return 0
    return 1


def fire_due_timers() -> int:
    """Fire every timer task due by ``clock.now()``; returns how many fired.

    A timer whose node no longer exists, or whose flow raises, is logged and
    skipped (one broken case does not stop the others); a task locked by
    another sweep is left for the next run.
    """
    fired = 0
    due = (
        Task._default_manager.select_related(*DUE_TIMER_RELATED)
        .filter(flow_task_type="TIMER", status=STATUS.SCHEDULED, scheduled__lte=clock.now())
        .order_by("scheduled", "pk")
    )
    for task in due:
        try:
            if getattr(task.flow_task.activation_class, "fired_by_compare_and_set", False):
                fired += fire_claimed(task)
                continue
            with locked_activation(task) as activation:
                start = getattr(activation, "start", None)
                if start is None:
                    logger.warning("Timer task %s has no node %r", task.pk, task.flow_task)
                    continue
                if start.can_proceed():
                    activation.start()
                    activation.execute()
                    fired += 1
        except FlowLockFailed:
            logger.info("Timer task %s is locked by another sweep", task.pk)
        except Exception:
            logger.exception("Timer task %s failed to fire", task.pk)
    return fired
