"""In CI a real Celery worker renders the report PDF (the flow's render_report job)."""

import io

from django.utils import timezone
from pypdf import PdfReader

from sparring.cases import services
from sparring.models import AuditEvent
from sparring.reports import services as report_services
from sparring.reports.models import ReportDocument
from tests.conftest import REPORT
from tests.integration.conftest import wait_for
from tests.unit.cases.test_case_flow import fresh, walk_to_delivery


def test_a_real_worker_renders_the_report_pdf(
    transactional_db, submitted_case, coordinator, consultant, applicant, real_broker, start_worker
):
    from celery_app import app

    # prepare the case in-process, then hand the report job to the worker
    app.conf.task_always_eager = True
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    case.days_planned.update(date=timezone.localdate())
    for day in case.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)
    app.conf.task_always_eager = False
    worker = start_worker("pdf")

    report_services.report_submit(
        actor=consultant, case=fresh(case), data=REPORT, version=fresh(case).version
    )

    document = wait_for(
        lambda: ReportDocument.objects.filter(case=case).first(),
        timeout=90,
        what="the worker's PDF",
    )
    assert "run_flow_job" in worker.log()
    with document.file.open("rb") as handle:
        text = PdfReader(io.BytesIO(handle.read())).pages[0].extract_text()
    assert REPORT["refined_goal"] in text
    assert AuditEvent.objects.filter(action="job_completed").count() == 1
    assert AuditEvent.objects.filter(action="report_pdf_made", case=case).count() == 1
