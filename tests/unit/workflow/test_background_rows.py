"""The background work pages name what a coordinator knows (session 10, item 2): a row of
a failed or waiting job or an overdue deadline shows the case's reference linked to the
case, the step's name in the reader's language and since when, not the task's internals
("Feedback #902209 | 26500": the node's name, the task's and the process's numbers)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from sparring import clock

pytestmark = pytest.mark.django_db(transaction=True)

STEP = {
    "fi": ("Raportin PDF tehdään", "Palautejakso"),
    "sv": ("Rapportens PDF skapas", "Responsperiod"),
    "en": ("The report PDF is made", "Feedback period"),
}


def pdf_job(case) -> Task:
    return Task.objects.get(process_id=case.process_id, flow_task_type="JOB")


def feedback_timer(case) -> Task:
    return Task.objects.get(
        process_id=case.process_id, flow_task_type="TIMER", status=STATUS.SCHEDULED
    )


def main(response) -> str:
    assert response.status_code == 200
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("state", [STATUS.ERROR, STATUS.SCHEDULED])
def test_a_job_row_names_the_case_and_the_step(
    state, language, reported_case, coordinator, client_for
):
    job = pdf_job(reported_case)
    Task.objects.filter(pk=job.pk).update(
        status=state, finished=timezone.now() if state == STATUS.ERROR else None
    )
    timer = feedback_timer(reported_case)
    Task.objects.filter(pk=timer.pk).update(scheduled=clock.now() - timedelta(hours=3))
    client = client_for(coordinator)
    client.cookies["sparring_language"] = language

    html = main(client.get(reverse("workflow:background")))

    case_link = (
        f'<a class="case-ref" href="{reverse("sparring:case_detail", args=[reported_case.pk])}">'
        f"{reported_case.reference}</a>"
    )
    assert html.count(case_link) == 2  # the job's row and the deadline's
    pdf_step, feedback_step = STEP[language]
    assert pdf_step in html and feedback_step in html
    for internal in (f"#{job.pk}", f"#{timer.pk}", f"<td>{reported_case.process_id}</td>"):
        assert internal not in html
    assert "Feedback #" not in html and "Render" not in html
    assert "<time datetime=" in html  # since when, machine-readable too


def test_the_failed_jobs_page_names_the_case_and_the_step(reported_case, coordinator, client_for):
    job = pdf_job(reported_case)
    Task.objects.filter(pk=job.pk).update(status=STATUS.ERROR, finished=timezone.now())

    html = main(client_for(coordinator).get(reverse("workflow:failed_jobs")))

    assert f"{reported_case.reference}</a>" in html
    assert "Raportin PDF tehdään" in html
    assert f"#{job.pk}" not in html and f"<td>{reported_case.process_id}</td>" not in html
    assert f"Yritä uudelleen: Raportin PDF tehdään, {reported_case.reference}" in html


def test_the_rows_cost_no_query_each(reported_case, coordinator, client_for):
    """The case of each row comes with the row (select_related), not one query a row."""
    client = client_for(coordinator)
    Task.objects.filter(pk=pdf_job(reported_case).pk).update(
        status=STATUS.ERROR, finished=timezone.now()
    )
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("workflow:background"))
    Task.objects.filter(pk=feedback_timer(reported_case).pk).update(
        scheduled=clock.now() - timedelta(hours=3)
    )
    with CaptureQueriesContext(connection) as two:
        client.get(reverse("workflow:background"))
    assert len(two) == len(one)
