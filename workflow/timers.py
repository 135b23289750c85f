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

from .services import locked_activation

logger = logging.getLogger(__name__)


def fire_due_timers() -> int:
    """Fire every timer task due by ``clock.now()``; returns how many fired.

    A timer whose node no longer exists, or whose flow raises, is logged and
    skipped (one broken case does not stop the others); a task locked by
    another sweep is left for the next run.
    """
    fired = 0
    due = Task._default_manager.filter(
        flow_task_type="TIMER", status=STATUS.SCHEDULED, scheduled__lte=clock.now()
    ).order_by("scheduled", "pk")
    for task in due:
        try:
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
