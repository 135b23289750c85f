"""The report as a tagged PDF: rendered by the flow's Celery job, versioned, served to those who may see it."""

import io

import pytest
from django.core import mail
from pypdf import PdfReader
from weasyprint.urls import FatalURLFetchingError

from sparring import pdf, services
from sparring.models import ReportDocument
from tests.conftest import REPORT, make_consultant

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


def test_a_redelivered_job_makes_no_second_pdf_and_a_new_render_keeps_the_old(reported_case):
    first = reported_case.report_documents.get()
    again = services.report_render(case_id=reported_case.pk, task_pk=first.source_task)
    assert again == first
    corrected = services.report_render(case_id=reported_case.pk, task_pk=first.source_task + 10_000)
    assert corrected.version == 2
    assert sorted(reported_case.report_documents.values_list("version", flat=True)) == [1, 2]


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
