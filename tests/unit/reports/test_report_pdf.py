"""The report as a tagged PDF: rendered by the flow's Celery job, versioned, served to those who may see it."""

import io

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader
from weasyprint.urls import FatalURLFetchingError

from sparring.cases import services
from sparring.reports import pdf, rendering
from sparring.reports import services as report_services
from sparring.reports.models import ReportDocument
from tests.conftest import REPORT, make_consultant
from tests.unit.cases.test_case_flow import fresh

pytestmark = pytest.mark.django_db(transaction=True)


def read(document: ReportDocument) -> PdfReader:
    with document.file.open("rb") as handle:
        return PdfReader(io.BytesIO(handle.read()))


def test_the_report_pdf_is_made_after_the_report_is_filed(reported_case):
    (document,) = reported_case.report_documents.all()
    reader = read(document)
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in (
        reported_case.reference,
        "Tampereen kaupunki",
        REPORT["refined_goal"],
        REPORT["results"],
        reported_case.goal,  # the goal stated in the application, beside the refined goal
        "1 / 1",  # page numbers
    ):
        assert expected in text, expected
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]  # tagged
    assert root["/Lang"] == "fi"
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for part in [font, *[d.get_object() for d in font.get("/DescendantFonts", [])]]:
                if "/FontDescriptor" in part:
                    fonts.append(part["/FontDescriptor"].get_object())
    assert fonts and all(
        any(k in f for k in ("/FontFile", "/FontFile2", "/FontFile3")) for f in fonts
    )


def test_the_applicant_and_coordinators_are_told_when_it_is_ready(
    reported_case, applicant, coordinator
):
    recipients = {m.to[0] for m in mail.outbox}
    assert {applicant.email, coordinator.email} <= recipients
    assert reported_case.events.filter(action="report_pdf_made").count() == 1


def test_a_redelivered_job_makes_no_second_pdf(reported_case):
    first = reported_case.report_documents.get()
    again = rendering.report_render(case_id=reported_case.pk, source=first.source)
    assert again == first
    assert reported_case.report_documents.count() == 1


def test_a_returned_and_corrected_report_makes_a_new_version_and_keeps_the_old(
    reported_case, coordinator, consultant
):
    with pytest.raises(ValidationError):
        report_services.report_return(actor=coordinator, case=reported_case, comment=" ")
    with pytest.raises(PermissionDenied):
        report_services.report_return(actor=consultant, case=reported_case, comment="Korjaa")
    mail.outbox.clear()
    report_services.report_return(
        actor=coordinator, case=reported_case, comment="Lisää jatkotoimien aikataulu."
    )
    assert [m.to for m in mail.outbox] == [[consultant.email]]
    assert "jatkotoimien aikataulu" in mail.outbox[0].body

    report_services.report_save_draft(
        actor=consultant, case=fresh(reported_case), data={**REPORT, "follow_up": "Kesken"}
    )
    assert reported_case.report_documents.count() == 1  # a draft makes no PDF
    corrected = {**REPORT, "follow_up": "Seurantapalaveri 15.4.2027"}
    report_services.report_submit(
        actor=consultant,
        case=fresh(reported_case),
        data=corrected,
        version=fresh(reported_case).version,
    )

    versions = list(reported_case.report_documents.order_by("version"))
    assert [d.version for d in versions] == [1, 2]
    with versions[1].file.open("rb") as handle:
        assert "15.4.2027" in PdfReader(io.BytesIO(handle.read())).pages[0].extract_text()
    with versions[0].file.open("rb") as handle:
        assert "15.4.2027" not in PdfReader(io.BytesIO(handle.read())).pages[0].extract_text()
    assert fresh(reported_case).report.revision == 2


def test_a_draft_report_keeps_the_step_open(submitted_case, coordinator, consultant, applicant):
    from django.utils import timezone

    from tests.unit.cases.test_case_flow import open_tasks, walk_to_delivery

    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    case.days_planned.update(date=timezone.localdate())
    for day in case.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)
    report_services.report_save_draft(
        actor=consultant, case=fresh(case), data={"refined_goal": "Alustava"}
    )
    assert fresh(case).status == "reporting"
    assert "report" in open_tasks(case)
    with pytest.raises(ValidationError):  # the rest is missing
        report_services.report_submit(
            actor=consultant,
            case=fresh(case),
            data={"refined_goal": "Alustava", "participants": 20},
            version=fresh(case).version,
        )


@pytest.mark.parametrize(
    "resource",
    [
        '<img src="http://example.invalid/logo.png" alt="">',
        '<link rel="stylesheet" href="file:///etc/passwd">',
    ],
)
def test_resources_load_only_from_the_projects_static_files(resource):
    html = f'<html lang="fi"><head>{resource}</head><body><p>x</p></body></html>'
    with pytest.raises(FatalURLFetchingError, match="Error fetching"):
        pdf.render_pdf(html)


def test_who_may_download_the_pdf(
    reported_case,
    applicant,
    coordinator,
    consultant,
    other_applicant,
    steering,
    supplier,
    client_for,
):
    url = f"/cases/{reported_case.pk}/report.pdf"
    for user in (applicant, coordinator, consultant):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    outsider = make_consultant("ulla.ulkopuolinen", supplier)
    for user in (other_applicant, steering, outsider):
        assert client_for(user).get(url).status_code == 404
    assert client_for(applicant).get(f"/cases/{reported_case.pk}/report-v9.pdf").status_code == 404


def test_the_rendered_case_is_one_query_with_the_next_version_as_pdf_counts_it(
    reported_case, django_assert_num_queries
):
    """``rendering.rendered_case`` reads in one query what the rendering used three for
    (the report, the case, the next version's MAX; issue 17): compared with
    ``pdf.next_version`` (the reference) with one PDF and with two."""
    with django_assert_num_queries(1):
        case = rendering.rendered_case(process_id=reported_case.process_id)
        assert case.report.case_id == case.pk and case.survey.case_id == case.pk
    assert case.next_pdf_version == pdf.next_version(reported_case) == 2
    first = reported_case.report_documents.get()
    ReportDocument.objects.create(
        case=reported_case, version=7, file=first.file.name, language="fi", source="other:7"
    )
    assert rendering.rendered_case(pk=reported_case.pk).next_pdf_version == 8
    assert pdf.next_version(reported_case) == 8


def test_the_feedback_timer_is_due_when_the_survey_closes_read_either_way(reported_case):
    """The feedback timer armed after the PDF job takes the survey the job read with the
    case (no query of its own; issue 17); read by the process (the reference, as before)
    it is the same moment: the survey's ``closes_at``."""
    from viewflow.workflow.models import Task

    from workflow.flows import SparringFlow

    timer = Task.objects.get(process_id=reported_case.process_id, flow_task=SparringFlow.feedback)
    assert timer.scheduled == reported_case.survey.closes_at
    fresh_activation = SparringFlow.feedback.activation_class(Task.objects.get(pk=timer.pk))
    assert SparringFlow.instance.feedback_closes_at(fresh_activation) == timer.scheduled
