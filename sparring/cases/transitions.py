"""How a service moves a case: the compare-and-set on its status and the flow step it completes.

Every step of the case follows one pattern:

1. check that the actor may take the step (``PermissionDenied`` otherwise);
2. validate the input (``ValidationError`` with a message for the form);
3. under the flow lock, find the open flow task of the step (``StepNotAvailable``
   when it is gone: done by someone else, a replayed form, a stale page);
4. claim the case with a compare-and-set on (status, version), so a page sent
   from an older state is refused (``StaleCase``); the move must be one that
   ``states.TRANSITIONS`` allows;
5. change the records, write the audit row (with the compare-and-set when its content
   is known then: ``case_move(audit=...)``), complete the flow task;
6. queue e-mail, which is sent after the transaction commits.

The flow class is never imported here: an existing case's flow is
``case.process.flow_class`` (viewflow's own reference), and a new case starts the
flow named by the ``SPARRING_CASE_FLOW`` setting. So the case app does not depend
on the module that defines the flow (which calls the case app's services).
"""

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow.status import STATUS

from sparring.audit import audit_record
from sparring.models import AuditEvent, Case
from sparring.notifications import notify
from sparring.queries import update_then_insert
from workflow.lock import locked_tasks

from . import states

T = TypeVar("T")


class CaseError(Exception):
    """A step that cannot be taken; ``message`` is shown to the user."""

    message = _("This step cannot be taken now.")

    def __init__(self, message=None):
        super().__init__(message or self.message)
        if message:
            self.message = message


class StepNotAvailable(CaseError):
    """The step's flow task is not open (done already, by someone else, or never reached)."""

    message = _(
        "This step is no longer open: it was done already, perhaps in another window or by "
        "someone else. The page now shows where the case stands."
    )


class StaleCase(CaseError):
    """The case changed after the form was made (its version moved on)."""

    message = _(
        "The case changed after you opened the page. Nothing was saved; check the current "
        "situation and try again."
    )


def require(condition: bool) -> None:
    """Raise ``PermissionDenied`` unless ``condition`` holds."""
    if not condition:
        raise PermissionDenied


def case_move(
    case: Case,
    *,
    source: Iterable[str],
    version: int | None,
    target: str | None = None,
    audit: AuditEvent | None = None,
    **changes: Any,
) -> Case:
    """Compare-and-set: move ``case`` on only if it is still in a status of ``source``.

    One UPDATE: the row is not read again afterwards. The instance gets the new
    values and version. A system step (``version=None``) moves the case whatever
    its version: it tries the instance's version first (one UPDATE when the
    instance is current) and otherwise moves on the status alone and reads the
    new version.

    With ``audit`` (the step's row, ``sparring.audit.audit_event``) the row is written
    with the move and only if the case moved: on PostgreSQL in the UPDATE's statement
    (``queries.update_then_insert``: issue 17, one round-trip instead of two), on
    SQLite right after it. A refused move writes no row.

    Args:
        case: the case; its moved fields and version are set on it.
        source: the statuses the case may be in now.
        version: the version the user's page showed; ``None`` for system steps.
        target: the new status, or ``None`` to keep it (the version still rises).
        audit: the audit row of the step, unsaved; saved (its ``pk`` set) when the case moves.
        changes: other fields to set in the same UPDATE (plain values, not expressions).

    Raises:
        StaleCase: the case is no longer in ``source`` (or at ``version``).
        states.TransitionNotAllowed: a move that ``states.TRANSITIONS`` does not have.
    """
    source = list(source)
    if target is not None:
        for status in source:
            states.check_transition(status, target)
        changes["status"] = target
    query = Case.objects.filter(pk=case.pk, status__in=source)
    values = {"version": F("version") + 1, **changes}

    def moved(rows) -> bool:
        if audit is None:
            return rows.update(**values) == 1
        return update_then_insert(rows, values, audit) == 1

    if version is not None:
        if not moved(query.filter(version=version)):
            raise StaleCase
        case.version = version + 1
    # A system step: first as if the instance were current (the usual case: one UPDATE);
    # if it is older than the row, move on whatever the version and read the new one.
    elif moved(query.filter(version=case.version)):
        case.version += 1
    elif moved(query):
        case.version = Case.objects.filter(pk=case.pk).values_list("version", flat=True).get()
    else:
        raise StaleCase
    for name, value in changes.items():
        setattr(case, name, value)
    return case


def flow_class_for(case: Case):
    """The flow class that drives ``case`` (the configured one for a case not yet started)."""
    if case.process_id is not None:
        return case.process.flow_class
    return import_string(settings.SPARRING_CASE_FLOW)


def _lock_flow_class(case: Case):
    """The flow class whose lock guards ``case``'s step: its process's flow when the
    process is loaded already, else the configured case flow (not loading the process
    only for its flow's name; ``_locked_open_task`` reads it with the task, and a case of
    another flow is then locked again with its own flow's lock)."""
    if case.process_id is None or Case._meta.get_field("process").is_cached(case):
        return flow_class_for(case)
    return import_string(settings.SPARRING_CASE_FLOW)


def flow_start(case: Case) -> None:
    """Start the case flow for a submitted case (its start node links the process)."""
    flow_class_for(case).start.run(case=case)  # sets case.process on this instance


def flow_cancel(case: Case) -> None:
    """Cancel the case's process and every open task (withdrawal, cancellation)."""
    if case.process_id is not None:
        case.process.flow_class.instance.cancel(case.process)


def _open_tasks(case: Case, flow_class):
    """The case's open tasks, newest first, each with its process (not evaluated)."""
    return (
        flow_class.task_class._default_manager.select_related("process")
        .filter(process_id=case.process_id, status=STATUS.NEW)
        .order_by("-pk")
    )


def _is_task_of(task, step: str) -> bool:
    """Whether ``task`` (with its process loaded) is a task of flow node ``step``."""
    node = getattr(task.process.flow_class, step, None)
    return node is not None and task.flow_task == node


def _step_task(case: Case, step: str, tasks):
    """The flow node of ``step`` and the open task of it among ``tasks``, or ``None``."""
    for task in tasks:
        if _is_task_of(task, step):
            node = getattr(task.process.flow_class, step)
            case.process = task.process  # and the process's case is this instance
            return node, task
    return None


@contextmanager
def _locked_open_task(case: Case, step: str, flow_class):
    """``flow_class``'s lock on the case's process, and the flow node of ``step`` with the
    case's open task of it, read under the lock.

    One query reads the case's open tasks with their process (a case waits at one
    or two steps at a time; its timers are scheduled, not open); on PostgreSQL that
    query also takes the lock (``workflow.lock.locked_tasks``: no ``SELECT 1 … FOR
    UPDATE`` first; issue 17). The process, with the case, is the one viewflow's
    activation and the flow's conditions then use, so neither is loaded again.

    Raises:
        StepNotAvailable: no open task of ``step``.
    """
    with locked_tasks(
        flow_class,
        case.process_id,
        _open_tasks(case, flow_class),
        # a read without the step's task lets the lock go at once (many clicks at once)
        wanted=lambda rows: any(_is_task_of(task, step) for task in rows),
    ) as read:
        # a step's task inserted by a transaction the locking read waited for is not in
        # its rows: read again (under the lock) before saying the step is not open
        found = _step_task(case, step, read.rows) or _step_task(case, step, read.again())
        if found is None:
            raise StepNotAvailable
        yield found


def step_run(
    case: Case, step: str, work: Callable[[], Any], then: Callable[[Any], T] | None = None
) -> T:
    """Complete the open task of flow node ``step`` for ``case``, doing ``work`` under its lock.

    As viewflow's Handle ``run`` does (lock the process, read the task, start it,
    call the flow's step function, complete it and activate the next node), but
    the open task is looked up once, under the lock, so it is current without
    a second read.

    ``then``, when given, is called with ``work``'s result after the task is completed
    and the next node activated, in the same transaction and under the same lock, and
    its result is returned. A step whose last part holds a lock that other cases wait
    for (the call-off's agreement lock) does that part in ``then``: the flow's
    bookkeeping (task rows, timers, deadline row) is then done before it, not while
    other cases wait. Whatever ``then`` raises undoes the whole step, as ``work``'s does.

    Raises:
        StepNotAvailable: no open task of ``step`` (or it was completed meanwhile).
        Whatever ``work`` or ``then`` raises: nothing is saved then.
    """
    if case.process_id is None:
        raise StepNotAvailable
    flow_class = _lock_flow_class(case)
    with _locked_open_task(case, step, flow_class) as (node, task):
        if node.flow_class is not flow_class:  # a case of another flow: under its own lock
            return step_run(case, step, work, then)
        activation = node.activation_class(task)
        try:
            result = activation.run(_handle_function(node), work=work)
        except TransitionNotAllowed:  # not startable (another status than NEW)
            raise StepNotAvailable from None
        activation.execute()
        return then(result) if then is not None else result


def _handle_function(node):
    """The flow function of a Handle node (``this.take_step`` resolved on the flow)."""
    return this.resolve(node.flow_class.instance, node._func)


def step_work_then_maybe_complete(case: Case, step: str, work: Callable[[], bool]) -> None:
    """Do ``work`` under the flow lock while ``step`` is open; complete the step if it returns True.

    For a step that takes several changes to finish (the delivery: each day is
    recorded or moved separately, and the step completes with the last day).

    Raises:
        StepNotAvailable: no open task of ``step``.
    """
    if case.process_id is None:
        raise StepNotAvailable
    flow_class = _lock_flow_class(case)
    with _locked_open_task(case, step, flow_class) as (node, task):
        if node.flow_class is not flow_class:  # a case of another flow: under its own lock
            return step_work_then_maybe_complete(case, step, work)
        if work():
            activation = node.activation_class(task)
            activation.run(None)
            activation.execute()


def remind_while(case: Case, *, status: str, event: str, action: str, recipients) -> None:
    """A reminder timer fired: send ``event`` and record ``action``, unless the case moved on.

    Args:
        case: the case the timer belongs to (re-read here).
        status: the status the case must still be in for the reminder to make sense.
        event: the notification event (``sparring.notifications``).
        action: the audit action recorded on the case's timeline.
        recipients: a function of the case giving the recipients.
    """
    case.refresh_from_db()
    if case.status != status:
        return
    audit_record(actor=None, action=action, subject=case, case=case)
    notify(event, case, recipients(case))
