"""The first filing writes the report in one upsert (``services.report_file``; issue 17),
leaving the row the draft's read-and-save left (kept here as the reference)."""

import pytest
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from sparring import clock
from sparring.cases import services
from sparring.reports import services as report_services
from sparring.reports.models import Report
from tests.conftest import REPORT
from tests.unit.cases.test_case_flow import fresh, walk_to_delivery

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reporting_case(submitted_case, coordinator, consultant, applicant):
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    case.days_planned.update(date=timezone.localdate())
    for day in case.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)
    return fresh(case)


def filed_reference(case, actor, data, at):
    """The old filing: the draft read (or a new report), its fields set, saved whole."""
    filed = Report.objects.filter(case=case).first() or Report(case=case)
    for field in report_services.REPORT_FIELDS:
        setattr(filed, field, data[field])
    filed.status = Report.Status.SUBMITTED
    filed.revision = 1
    filed.submitted_at = at
    filed.submitted_by = actor
    filed.save()
    return filed


def filed_now(case, actor, data, at):
    filed = Report(
        case=case,
        status=Report.Status.SUBMITTED,
        revision=1,
        submitted_at=at,
        submitted_by=actor,
        **{field: data[field] for field in report_services.REPORT_FIELDS},
    )
    report_services.report_file(filed)
    return filed


def row_after(write, case, actor, data, at):
    """The report row ``write`` leaves (undone afterwards) and the pk it gave the instance."""
    with transaction.atomic():
        filed = write(case, actor, data, at)
        row = model_to_dict(Report.objects.get(case=case))
        transaction.set_rollback(True)
    return row, filed.pk


@pytest.mark.parametrize("draft", [False, True])
def test_the_upsert_leaves_the_row_the_read_and_save_left(reporting_case, consultant, draft):
    if draft:
        report_services.report_save_draft(
            actor=consultant,
            case=reporting_case,
            data={"participants": 3, "refined_goal": "Luonnos", "results": "Kesken"},
        )
    draft_pk = Report.objects.filter(case=reporting_case).values_list("pk", flat=True).first()
    at = clock.now()
    reference, reference_pk = row_after(filed_reference, reporting_case, consultant, REPORT, at)
    ours, our_pk = row_after(filed_now, reporting_case, consultant, REPORT, at)
    assert reference.pop("id") == reference_pk and ours.pop("id") == our_pk
    assert ours == reference
    assert ours["status"] == Report.Status.SUBMITTED and ours["results"] == REPORT["results"]
    if draft:  # the draft's row is the filed report
        assert our_pk == reference_pk == draft_pk
