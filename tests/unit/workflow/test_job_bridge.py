"""The Celery bridge node, run in-process (the embedded default's eager Celery).

The same scenarios run against a real worker and Redis in tests/integration.
"""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from sparring.models import AuditEvent
from tests.jobflow.flows import JobProbeFlow, start_probe
from tests.jobflow.models import ProbeRun
from tests.lock_waits import wait_until_someone_waits_for_a_lock
from workflow import services

pytestmark = pytest.mark.django_db(transaction=True)


def work_tasks(process: Process):
    return Task.objects.filter(process=process, flow_task=JobProbeFlow.work).order_by("pk")


def test_job_runs_after_commit_and_the_process_finishes():
    process = start_probe(mode="ok")

    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert [t.status for t in work_tasks(process)] == [STATUS.DONE]
    assert ProbeRun.objects.filter(process_id=process.pk).count() == 1
    assert AuditEvent.objects.filter(action="job_completed").count() == 1


def test_redelivery_of_a_completed_job_changes_nothing():
    process = start_probe(mode="ok")
    task = work_tasks(process).get()

    outcome = services.job_run(task_pk=task.pk)

    assert outcome == services.JobOutcome.SKIPPED
    assert ProbeRun.objects.filter(process_id=process.pk).count() == 1
    assert AuditEvent.objects.filter(action="job_completed").count() == 1
    assert Task.objects.filter(process=process, flow_task=JobProbeFlow.end).count() == 1


def test_a_delivery_that_finds_the_task_started_completes_it_once():
    """A worker died after starting: the redelivered message finishes the job."""
    process = start_probe(mode="ok")
    # rewind the task to the state a killed worker leaves behind
    task = work_tasks(process).get()
    Task.objects.filter(pk=task.pk).update(status=STATUS.STARTED)
    Task.objects.filter(process=process, flow_task=JobProbeFlow.end).delete()
    Process.objects.filter(pk=process.pk).update(status=PROCESS.NEW, finished=None)
    AuditEvent.objects.filter(action="job_completed").delete()

    assert services.job_run(task_pk=task.pk) == services.JobOutcome.COMPLETED
    assert services.job_run(task_pk=task.pk) == services.JobOutcome.SKIPPED

    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert AuditEvent.objects.filter(action="job_completed").count() == 1


def test_failure_marks_the_task_failed_with_the_reason():
    process = start_probe(mode="fail")

    task = work_tasks(process).get()
    assert task.status == STATUS.ERROR
    assert task.data["_exception"]["title"] == "probe job failed on purpose"
    process.refresh_from_db()
    assert process.status == PROCESS.NEW  # waits for a coordinator
    assert AuditEvent.objects.filter(action="job_failed", comment__contains="on purpose").exists()


def test_coordinator_retry_runs_the_job_again_and_the_flow_moves_on(coordinator):
    process = start_probe(mode="fail_first")
    failed = work_tasks(process).get()
    assert failed.status == STATUS.ERROR

    new_task = services.job_retry(task_pk=failed.pk, actor=coordinator)

    failed.refresh_from_db()
    new_task.refresh_from_db()
    process.refresh_from_db()
    assert failed.status == STATUS.REVIVED
    assert new_task.status == STATUS.DONE
    assert process.status == PROCESS.DONE
    assert ProbeRun.objects.filter(process_id=process.pk).count() == 2
    assert AuditEvent.objects.filter(action="job_retried", actor=coordinator).count() == 1


def test_only_a_coordinator_may_retry(applicant, consultant):
    process = start_probe(mode="fail_first")
    failed = work_tasks(process).get()

    for user in (applicant, consultant):
        with pytest.raises(services.PermissionDenied):
            services.job_retry(task_pk=failed.pk, actor=user)

    failed.refresh_from_db()
    assert failed.status == STATUS.ERROR
    assert ProbeRun.objects.filter(process_id=process.pk).count() == 1
    assert not AuditEvent.objects.filter(action="job_retried").exists()


def test_a_job_that_is_not_failed_cannot_be_retried(coordinator):
    process = start_probe(mode="ok")
    done = work_tasks(process).get()

    with pytest.raises(services.JobNotRetryable):
        services.job_retry(task_pk=done.pk, actor=coordinator)
    assert work_tasks(process).count() == 1


def test_cancelling_the_process_leaves_a_queued_job_nothing_to_do():
    process = start_probe(mode="fail")
    task = work_tasks(process).get()
    JobProbeFlow.instance.cancel(process)

    assert services.job_run(task_pk=task.pk) == services.JobOutcome.SKIPPED
    task.refresh_from_db()
    assert task.status == STATUS.CANCELED


def test_a_base_exception_of_the_job_is_recorded_as_a_failed_job():
    """WeasyPrint's FatalURLFetchingError is a BaseException: the job still fails
    visibly (ERROR, the reason, the audit row), never stays 'started' (issue 15, item 8)."""
    process = start_probe(mode="fatal")

    task = work_tasks(process).get()
    assert task.status == STATUS.ERROR
    assert "could not be fetched" in task.data["_exception"]["title"]
    assert AuditEvent.objects.filter(action="job_failed", comment__contains="fetched").exists()


def test_an_interruption_is_re_raised_and_the_job_runs_again_later(monkeypatch):
    """SystemExit (the worker stopping) is no failure of the job: it is re-raised,
    the task stays started, and the next delivery completes it."""
    import workflow.nodes

    monkeypatch.setattr(workflow.nodes, "dispatch", lambda *a, **k: True)  # queue nothing
    process = start_probe(mode="exit_first")
    task = work_tasks(process).get()

    with pytest.raises(SystemExit):
        services.job_run(task_pk=task.pk)
    task.refresh_from_db()
    assert task.status == STATUS.STARTED
    assert not AuditEvent.objects.filter(action="job_failed").exists()

    assert services.job_run(task_pk=task.pk) == services.JobOutcome.COMPLETED


def test_without_a_broker_the_job_runs_in_a_thread_and_the_request_does_not_wait(settings):
    """The embedded default (issue 15, item 8): in-process tasks run in a background
    thread, so a request that queues a slow job (a long report's PDF) answers at once."""
    import threading

    from sparring.background import request_scope

    settings.SPARRING_TASKS_IN_THREAD = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    started = time.monotonic()
    with request_scope():  # as RequestScopeMiddleware does for each request
        process = start_probe(mode="sleep", seconds=1.5)
    assert time.monotonic() - started < 1.0  # did not wait for the job

    for thread in threading.enumerate():
        if thread.name.startswith("task workflow.tasks.run_flow_job"):
            thread.join(timeout=30)
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert AuditEvent.objects.filter(action="job_completed").count() == 1


def test_outside_a_request_in_process_work_still_runs_inline(settings):
    """Commands (the demo's replay, seeding) keep running their jobs before they go on."""
    settings.SPARRING_TASKS_IN_THREAD = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    process = start_probe(mode="ok")
    process.refresh_from_db()
    assert process.status == PROCESS.DONE


@pytest.mark.parametrize("meanwhile", ["completed", "cancelled"])
def test_a_task_done_or_cancelled_while_its_job_ran_is_skipped_at_completion(
    meanwhile, monkeypatch
):
    """The worker completes the task it started by a compare-and-set on STARTED, not
    after reading it again (issue 17): what another delivery or a cancellation did
    meanwhile is kept, as the re-read under the lock kept it."""
    outcomes = []
    run_job = JobProbeFlow.work.run_job

    def job_then_someone_else(activation):
        run_job(activation)
        if meanwhile == "completed":
            Task.objects.filter(pk=activation.task.pk).update(status=STATUS.DONE)
        else:
            JobProbeFlow.instance.cancel(activation.task.process)

    monkeypatch.setattr(JobProbeFlow.work, "run_job", job_then_someone_else)
    real_job_run = services.job_run
    monkeypatch.setattr(
        services, "job_run", lambda **kw: outcomes.append(real_job_run(**kw)) or outcomes[-1]
    )
    process = start_probe(mode="ok")

    task = work_tasks(process).get()
    task.refresh_from_db()
    expected = STATUS.DONE if meanwhile == "completed" else STATUS.CANCELED
    assert task.status == expected
    assert outcomes == [services.JobOutcome.SKIPPED]
    assert not Task.objects.filter(process=process, flow_task=JobProbeFlow.end).exists()
    assert not AuditEvent.objects.filter(action="job_completed").exists()


def rewound_to_scheduled(process):
    """The probe's job task as the broker's message finds it before any worker (the job
    ran already when the probe started: its later rows are undone)."""
    task = work_tasks(process).get()
    Task.objects.filter(pk=task.pk).update(status=STATUS.SCHEDULED, started=None, finished=None)
    Task.objects.filter(process=process, flow_task=JobProbeFlow.end).delete()
    Process.objects.filter(pk=process.pk).update(status=PROCESS.NEW, finished=None)
    AuditEvent.objects.filter(action="job_completed").delete()
    return task


def test_the_job_is_claimed_from_its_read_unless_another_delivery_started_it_since():
    """The worker claims the task by a compare-and-set on the status and start time it
    read (issue 17); a task another delivery started in between is not claimed so (its
    row is left as that delivery wrote it) and is read again under the lock."""
    process = start_probe(mode="ok")
    task = rewound_to_scheduled(process)
    held = Task.objects.select_related("process").get(pk=task.pk)
    other = timezone.now()
    Task.objects.filter(pk=task.pk).update(
        status=STATUS.STARTED, started=other, data={"_attempts": 1}
    )
    with transaction.atomic():
        assert JobProbeFlow.work.activation_class(held).start_as_read() is False
    task.refresh_from_db()
    assert (task.status, task.started, task.data) == (STATUS.STARTED, other, {"_attempts": 1})

    assert services.job_run(task_pk=task.pk) == services.JobOutcome.COMPLETED
    (completed,) = AuditEvent.objects.filter(action="job_completed")
    assert completed.data["attempts"] == 2


def test_a_job_whose_claim_finds_it_moved_is_read_again_and_counted(monkeypatch):
    process = start_probe(mode="ok")
    task = rewound_to_scheduled(process)
    Task.objects.filter(pk=task.pk).update(data={"_attempts": 3})
    monkeypatch.setattr(
        JobProbeFlow.work.activation_class, "start_as_read", lambda activation: False
    )
    assert services.job_run(task_pk=task.pk) == services.JobOutcome.COMPLETED
    (completed,) = AuditEvent.objects.filter(action="job_completed")
    assert completed.data["attempts"] == 4
    process.refresh_from_db()
    assert process.status == PROCESS.DONE


postgresql_only = pytest.mark.skipif(
    not settings.USES_POSTGRESQL, reason="PostgreSQL's row lock (SQLite: a cache lock)"
)


@postgresql_only
def test_on_postgresql_the_delivery_reads_its_task_and_takes_the_lock_in_one_statement():
    """No read before the lock and no ``SELECT 1 … FOR UPDATE`` of its own (issue 17)."""
    process = start_probe(mode="ok")
    task = rewound_to_scheduled(process)
    with CaptureQueriesContext(connection) as queries:
        assert services.job_run(task_pk=task.pk) == services.JobOutcome.COMPLETED
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")
    sql = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(control)]
    assert 'FROM "viewflow_task"' in sql[0]
    assert sql[0].endswith('FOR UPDATE OF "viewflow_process", "viewflow_task"')
    assert sql[1].startswith('UPDATE "viewflow_task"')  # started
    assert not [s for s in sql if s.startswith('SELECT 1 AS "a" FROM "viewflow_process"')]
    (done,) = [s for s in sql if s.startswith('UPDATE "viewflow_task" SET "status" = \'DONE\'')]
    assert 'IN (SELECT U0."id" AS "pk" FROM "viewflow_process" U0' in done  # the lock
    assert done.count("FOR UPDATE") == 1


def _completion_meets_a_holder_of_the_lock(monkeypatch, meanwhile) -> dict:
    """The job runs; then, before its completion, another transaction takes the flow lock,
    does ``meanwhile`` and commits once the completion waits for it."""
    process = start_probe(mode="ok")
    task = rewound_to_scheduled(process)
    job_ran, holding, outcome = threading.Event(), threading.Event(), {}
    run_job = JobProbeFlow.work.run_job

    def job(activation):
        run_job(activation)
        job_ran.set()
        holding.wait(20)

    monkeypatch.setattr(JobProbeFlow.work, "run_job", job)

    def delivery():
        try:
            outcome["outcome"] = services.job_run(task_pk=task.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=delivery)
    thread.start()
    assert job_ran.wait(20)
    with transaction.atomic(), JobProbeFlow.lock(process.pk):
        meanwhile(process, task)
        holding.set()
        # the completion's claim waits for the process row (not only a later statement)
        wait_until_someone_waits_for_a_lock(statement='UPDATE "viewflow_task" SET "status"')
    thread.join(60)
    return outcome


@postgresql_only
def test_the_completion_waits_for_the_flow_lock_held_elsewhere(monkeypatch):
    """Its UPDATE takes the lock: it waits for a holder that does not touch its task."""
    outcome = _completion_meets_a_holder_of_the_lock(monkeypatch, lambda process, task: None)
    assert outcome == {"outcome": services.JobOutcome.COMPLETED}
    assert AuditEvent.objects.filter(action="job_completed").count() == 1


@postgresql_only
def test_a_completion_that_waited_for_a_cancellation_writes_nothing(monkeypatch):
    def cancel(process, task):
        Task.objects.filter(pk=task.pk).update(status=STATUS.CANCELED, finished=timezone.now())

    outcome = _completion_meets_a_holder_of_the_lock(monkeypatch, cancel)
    assert outcome == {"outcome": services.JobOutcome.SKIPPED}
    assert not AuditEvent.objects.filter(action="job_completed").exists()
    assert not Task.objects.filter(flow_task=JobProbeFlow.end).exists()


@postgresql_only
def test_a_delivery_waiting_for_the_lock_sees_the_task_as_the_holder_left_it():
    """Another delivery holds the lock and completes the task; the waiting one reads the
    task as that one committed it (not as it was when its statement began) and skips it."""
    process = start_probe(mode="ok")
    task = rewound_to_scheduled(process)
    ran_before = ProbeRun.objects.filter(process_id=process.pk).count()
    outcome = {}
    holding = threading.Event()

    def waiting_delivery():
        holding.wait(20)
        try:
            outcome["second"] = services.job_run(task_pk=task.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=waiting_delivery)
    thread.start()
    with transaction.atomic(), JobProbeFlow.lock(process.pk):
        Task.objects.filter(pk=task.pk).update(status=STATUS.DONE, finished=timezone.now())
        holding.set()
        wait_until_someone_waits_for_a_lock()
    thread.join(60)
    assert outcome == {"second": services.JobOutcome.SKIPPED}
    assert ProbeRun.objects.filter(process_id=process.pk).count() == ran_before
