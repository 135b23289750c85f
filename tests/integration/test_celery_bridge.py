"""The Celery bridge against a real worker process, Redis and PostgreSQL."""

import time

from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from sparring.models import AuditEvent
from tests.integration.conftest import VISIBILITY_TIMEOUT, wait_for
from tests.jobflow.flows import JobProbeFlow, start_probe
from tests.jobflow.models import ProbeRun


def process_status(process: Process) -> str:
    return Process.objects.get(pk=process.pk).status


def work_task(process: Process) -> Task:
    return Task.objects.filter(process=process, flow_task=JobProbeFlow.work).latest("pk")


def test_a_real_worker_completes_the_flow_task(worker):
    process = start_probe(mode="ok")

    wait_for(lambda: process_status(process) == PROCESS.DONE, what="the process to finish")

    run = ProbeRun.objects.get(process_id=process.pk)
    assert run.worker_pid != __import__("os").getpid()  # ran in the worker, not here
    assert work_task(process).status == STATUS.DONE
    assert AuditEvent.objects.filter(action="job_completed").count() == 1


def test_a_failing_job_is_marked_failed_and_shown_to_the_coordinator(worker, coordinator):
    process = start_probe(mode="fail")

    task = wait_for(
        lambda: Task.objects.filter(pk=work_task(process).pk, status=STATUS.ERROR).first(),
        what="the task to fail",
    )
    assert task.data["_exception"]["title"] == "probe job failed on purpose"

    client = Client()
    client.force_login(coordinator)
    page = client.get(reverse("workflow:failed_jobs")).content.decode()
    assert "probe job failed on purpose" in page


def test_the_coordinator_retries_and_the_worker_completes_it(worker, coordinator):
    process = start_probe(mode="fail_first")
    failed = wait_for(
        lambda: Task.objects.filter(pk=work_task(process).pk, status=STATUS.ERROR).first(),
        what="the first run to fail",
    )

    client = Client()
    client.force_login(coordinator)
    response = client.post(reverse("workflow:retry_job", args=[failed.pk]))
    assert response.status_code == 302

    wait_for(lambda: process_status(process) == PROCESS.DONE, what="the retried job to finish")
    statuses = list(
        Task.objects.filter(process=process, flow_task=JobProbeFlow.work)
        .order_by("pk")
        .values_list("status", flat=True)
    )
    assert statuses == [STATUS.REVIVED, STATUS.DONE]
    assert ProbeRun.objects.filter(process_id=process.pk).count() == 2


def test_a_worker_killed_mid_task_is_replaced_and_the_task_completes_once(
    real_broker, start_worker
):
    first = start_worker("doomed")
    process = start_probe(mode="sleep", seconds=120)
    wait_for(
        lambda: ProbeRun.objects.filter(process_id=process.pk).exists(),
        what="the job to start in the first worker",
    )
    assert work_task(process).status == STATUS.STARTED

    first.kill()
    time.sleep(1)
    assert work_task(process).status == STATUS.STARTED  # nobody finished it

    second = start_worker("replacement")
    wait_for(
        lambda: process_status(process) == PROCESS.DONE,
        timeout=VISIBILITY_TIMEOUT + 60,
        what="the replacement worker to complete the redelivered task",
    )

    runs = ProbeRun.objects.filter(process_id=process.pk).order_by("pk")
    assert runs.count() == 2  # the job ran again (at least once) ...
    assert runs[0].worker_pid != runs[1].worker_pid
    assert Task.objects.filter(process=process, flow_task=JobProbeFlow.work).count() == 1
    assert work_task(process).status == STATUS.DONE  # ... but completed exactly once
    assert Task.objects.filter(process=process, flow_task=JobProbeFlow.end).count() == 1
    assert (
        AuditEvent.objects.filter(
            action="job_completed", subject__endswith=f":{work_task(process).pk}"
        ).count()
        == 1
    )
    assert "run_flow_job" in second.log()
