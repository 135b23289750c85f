"""Handing work to Celery without ever failing the request that asked for it.

Two rules of the product's background work live here:

* **Dispatch never fails a committed change.** ``dispatch`` is called after the
  transaction commits (``transaction.on_commit``). If the broker is down the
  message is not sent, a warning is logged and the request goes on; the rows
  the database holds (flow job tasks, the outbox, filed reports) say the work
  is pending, and the reconciliation sweep (``workflow.reconcile``) queues it
  again within a minute or two of the broker's return.
* **Infrastructure errors are retried, not recorded as failures.** A task that
  meets one of ``INFRASTRUCTURE_ERRORS`` (the database, a lock, Redis or the
  broker being unavailable) is retried by Celery with backoff; only an error of
  the job itself marks a flow task failed for a coordinator to see.

Tasks are looked up by name, so a module that queues work does not import the
module that defines the task (no import cycle between ``workflow.nodes`` and
``workflow.tasks``).
"""

import asyncio
import contextlib
import contextvars
import importlib
import logging
import threading
import time
from typing import Any

from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


def _infrastructure_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError as BrokerError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from viewflow.workflow.exceptions import FlowLockFailed

    return (
        OperationalError,  # the database is down, restarting, or a lock wait timed out
        InterfaceError,  # the connection was closed under us
        FlowLockFailed,  # the flow lock could not be taken
        BrokerError,
        RedisConnectionError,
        RedisTimeoutError,
    )


INFRASTRUCTURE_ERRORS = _infrastructure_errors()
"""Errors that say a dependency is unavailable, not that the work is wrong."""

# Celery options every task of the product uses for them: retried with an
# exponential backoff (2, 4, 8 ... 60 s, with jitter), a bounded number of
# times; whatever is still pending after that is found again by the sweep.
# The longest countdown stays below the broker's visibility timeout.
INFRASTRUCTURE_RETRY = {
    "autoretry_for": INFRASTRUCTURE_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 12,
}


INTERRUPTIONS: tuple[type[BaseException], ...] = (
    KeyboardInterrupt,  # Ctrl-C in a worker started by hand
    SystemExit,  # the worker shutting down (Celery's WorkerShutdown, WorkerTerminate)
    GeneratorExit,
    asyncio.CancelledError,
)
"""``BaseException`` subclasses that stop the process, not the job: re-raised, never a failed job.

Any other ``BaseException`` (WeasyPrint's ``FatalURLFetchingError`` is one) is an
error of the job and must be recorded as a failed job, like an ``Exception``. A job
interrupted this way stays started; the message is delivered again (late acks) or
the reconciliation sweep queues it, so nothing is lost.
"""


def is_interruption(exc: BaseException) -> bool:
    """True if ``exc`` stops the process (re-raise it) rather than failing the job."""
    return isinstance(exc, INTERRUPTIONS)


def is_infrastructure_error(exc: BaseException) -> bool:
    """True if ``exc`` (or an exception it was raised from) is a dependency being down."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, INFRASTRUCTURE_ERRORS):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _task(name: str):
    from celery_app import app

    if name not in app.tasks:
        importlib.import_module(name.rsplit(".", 1)[0])  # registers the task
    return app.tasks[name]


# After a failed dispatch, this process does not try the broker again for a
# while: a request that queues several messages (a flow job and its e-mails)
# answers in seconds instead of waiting for each to time out.
BROKER_PAUSE = 5.0  # seconds
_broker_down_until = 0.0


def broker_paused() -> bool:
    """True while this process does not try the broker (``BROKER_PAUSE`` after a failed
    dispatch): a caller can skip work that only matters if a message can be sent."""
    return time.monotonic() < _broker_down_until


_in_request: contextvars.ContextVar[bool] = contextvars.ContextVar("in_request", default=False)


@contextlib.contextmanager
def request_scope():
    """Mark the work queued inside as a web request's (``RequestScopeMiddleware``)."""
    token = _in_request.set(True)
    try:
        yield
    finally:
        _in_request.reset(token)


class RequestScopeMiddleware:
    """Work a request queues without a broker runs in a background thread (``dispatch``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_scope():
            return self.get_response(request)


def _in_thread() -> bool:
    """In-process tasks (no broker: the embedded default) that a web request queues run
    in a thread of their own, so that no request waits for a PDF or an e-mail
    (``SPARRING_TASKS_IN_THREAD``). Commands (the demo's replay, seeding) and the
    timer loop run them inline, as before."""
    from django.conf import settings

    return bool(
        _in_request.get()
        and getattr(settings, "SPARRING_TASKS_IN_THREAD", False)
        and getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
    )


def _run_in_thread(name: str, args: list[Any], task_id: str | None) -> None:
    """Run one task in-process, in this (background) thread; its own database connection.

    A failure is the task's to record (``job_run`` marks a failed job); whatever is
    left pending (the process stopped) is queued again by the reconciliation sweep.
    """
    from django.db import connections

    try:
        _task(name).apply(args=args, task_id=task_id)
    except BaseException:  # a thread has nobody to raise to
        logger.exception("In-process task %s%s failed", name, tuple(args))
    finally:
        connections.close_all()


def dispatch(
    name: str, *, args: list[Any], task_id: str | None = None, countdown: float | None = None
) -> bool:
    """Queue the Celery task called ``name`` with ``args``; never raises.

    Args:
        name: the task's registered name, e.g. ``"sparring.tasks.deliver_email"``.
        args: its positional arguments (JSON-serialisable IDs).
        task_id: the message id to use (a flow job's ``external_task_id``).
        countdown: seconds before a worker runs it (the e-mail flush's debounce);
            in-process tasks run at once.

    Returns True if the message was handed to the broker (or run in-process
    when there is no broker), False if the broker could not be reached: the
    work then waits in the database for the reconciliation sweep.
    """
    global _broker_down_until
    if _in_thread():
        threading.Thread(
            target=_run_in_thread, args=(name, args, task_id), name=f"task {name}", daemon=True
        ).start()
        return True
    if time.monotonic() < _broker_down_until:
        logger.warning("Broker unavailable: %s%s left for the reconciliation sweep", name, args)
        return False
    try:
        _task(name).apply_async(args=args, task_id=task_id, countdown=countdown)
    except Exception:  # the change is committed; the sweep queues the work later
        _broker_down_until = time.monotonic() + BROKER_PAUSE
        logger.warning(
            "Could not queue %s%s; the reconciliation sweep will queue it again",
            name,
            tuple(args),
            exc_info=True,
        )
        return False
    return True
