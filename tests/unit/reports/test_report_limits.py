"""A report's texts are limited to what a report needs, said on the form, checked by the
service (issue 15, item 8): the PDF stays a few pages and renders in seconds."""

import pytest

from sparring.reports import services
from sparring.reports.forms import ReportForm
from sparring.reports.models import REPORT_MAX_LINES, REPORT_TEXT_LIMITS, report_text_errors
from tests.conftest import REPORT


def test_the_limits_are_what_a_report_needs():
    assert sum(REPORT_TEXT_LIMITS.values()) <= 20_000
    assert REPORT_MAX_LINES <= 100


@pytest.mark.parametrize("field", sorted(REPORT_TEXT_LIMITS))
def test_a_text_over_its_limit_or_with_too_many_lines_is_refused(field):
    limit = REPORT_TEXT_LIMITS[field]
    assert report_text_errors({field: "x" * limit}) == {}
    assert field in report_text_errors({field: "x" * (limit + 1)})
    assert field in report_text_errors({field: "a\n" * REPORT_MAX_LINES})
    assert report_text_errors({field: "a\n" * (REPORT_MAX_LINES - 1)}) == {}


def test_the_form_says_the_limits_and_counts():
    form = ReportForm()
    html = str(form)
    for field, limit in REPORT_TEXT_LIMITS.items():
        assert f'maxlength="{limit}"' in html
        assert str(limit) in str(form.fields[field].help_text)
    assert "data-counter" in html


def test_the_form_refuses_too_many_lines():
    data = {**REPORT, "version": 1, "results": "rivi\n" * (REPORT_MAX_LINES + 5)}
    form = ReportForm(data)
    assert not form.is_valid()
    assert "results" in form.errors


@pytest.mark.django_db
def test_the_service_refuses_a_text_at_the_old_limit(
    submitted_case, coordinator, consultant, applicant
):
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from sparring.cases import services as case_services
    from tests.unit.cases.test_case_flow import fresh, walk_to_delivery

    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    case.days_planned.update(date=timezone.localdate())
    for day in case.days_planned.all():
        case_services.session_day_record(actor=consultant, day=day, participants=10)
    case = fresh(case)
    with pytest.raises(ValidationError) as error:
        services.report_submit(
            actor=consultant,
            case=case,
            data={**REPORT, "implementation": "x" * 8000},
            version=case.version,
        )
    assert "implementation" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.report_save_draft(
            actor=consultant, case=case, data={**REPORT, "follow_up": "x" * 8000}
        )


@pytest.mark.django_db(transaction=True)
def test_the_case_page_shows_while_the_pdf_of_the_current_revision_is_being_made(
    reported_case, applicant, client_for
):
    from sparring.reports.models import ReportDocument

    url = f"/cases/{reported_case.pk}/"
    client = client_for(applicant)
    assert "data-report-pdf-pending" not in client.get(url).content.decode()
    ReportDocument.objects.filter(case=reported_case).delete()  # as while the job runs
    assert "data-report-pdf-pending" in client.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_corrected_reports_pdf_that_fails_with_a_base_exception_is_recorded_once(
    reported_case, monkeypatch
):
    """WeasyPrint's FatalURLFetchingError is a BaseException (issue 15, item 8)."""
    from weasyprint.urls import FatalURLFetchingError

    from sparring.models import AuditEvent
    from sparring.reports import pdf
    from sparring.reports.tasks import render_report_revision

    def fatal(html):
        raise FatalURLFetchingError("probe: a resource could not be fetched")

    monkeypatch.setattr(pdf, "render_pdf", fatal)
    assert render_report_revision(reported_case.pk, "revision:probe:2") == 0
    assert render_report_revision(reported_case.pk, "revision:probe:2") == 0
    failed = AuditEvent.objects.filter(case=reported_case, action="job_failed")
    assert failed.count() == 1
    assert "could not be fetched" in failed.get().comment


def test_an_interruption_while_rendering_is_raised(monkeypatch):
    from sparring.reports import rendering
    from sparring.reports.tasks import render_report_revision

    def stop(**kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(rendering, "report_render", stop)
    with pytest.raises(KeyboardInterrupt):
        render_report_revision(1, "revision:1:2")
