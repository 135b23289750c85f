"""The coordinator's page of failed background jobs, and its retry button."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from tests.jobflow.flows import JobProbeFlow, start_probe

pytestmark = pytest.mark.django_db(transaction=True)


def test_coordinator_sees_the_reason_and_can_retry(coordinator, client_for):
    process = start_probe(mode="fail_first")
    client = client_for(coordinator)

    page = client.get(reverse("workflow:failed_jobs"))
    assert page.status_code == 200
    assert "probe job failed on its first run" in page.content.decode()

    task = Task.objects.get(process=process, flow_task=JobProbeFlow.work)
    response = client.post(reverse("workflow:retry_job", args=[task.pk]), follow=True)
    assert response.status_code == 200
    process.refresh_from_db()
    assert process.status == "DONE"
    assert "probe job failed" not in response.content.decode()


def test_a_second_retry_of_the_same_job_is_told_and_does_nothing(coordinator, client_for):
    process = start_probe(mode="fail_first")
    task = Task.objects.get(process=process, flow_task=JobProbeFlow.work)
    client = client_for(coordinator)
    client.post(reverse("workflow:retry_job", args=[task.pk]), follow=True)

    response = client.post(reverse("workflow:retry_job", args=[task.pk]), follow=True)

    assert response.status_code == 200
    assert Task.objects.filter(process=process, flow_task=JobProbeFlow.work).count() == 2
    messages = list(response.context["messages"])
    assert [m.level_tag for m in messages] == ["warning"]


@pytest.mark.parametrize("role", ["applicant", "consultant", "steering"])
def test_other_roles_get_403_and_change_nothing(role, users_by_role, client_for):
    process = start_probe(mode="fail")
    task = Task.objects.get(process=process, flow_task=JobProbeFlow.work)
    client = client_for(users_by_role[role])

    assert client.get(reverse("workflow:failed_jobs")).status_code == 403
    assert client.post(reverse("workflow:retry_job", args=[task.pk])).status_code == 403
    task.refresh_from_db()
    assert task.status == STATUS.ERROR


def test_retry_of_a_missing_task_is_404(coordinator, client_for):
    response = client_for(coordinator).post(reverse("workflow:retry_job", args=[999999]))
    assert response.status_code == 404


def test_the_list_runs_a_constant_number_of_queries(coordinator, client_for):
    client = client_for(coordinator)
    start_probe(mode="fail")
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("workflow:failed_jobs"))
    for _ in range(4):
        start_probe(mode="fail")
    with CaptureQueriesContext(connection) as five:
        page = client.get(reverse("workflow:failed_jobs"))

    assert page.content.decode().count("probe job failed on purpose") == 5
    assert len(five) == len(one)
