"""The deadline rules of the delivery and report steps read the days the service has just
read under the lock (``deadlines.days_noted``; issue 17) and give what their query gives
(the reference: the rule on a case without a note)."""

import pytest
from django.utils import timezone

from sparring import clock
from sparring.cases import services
from sparring.cases.services import deadlines as deadline_services
from sparring.cases.transitions import case_move
from sparring.models import Case, SessionDay, StepDeadline
from tests.unit.cases.test_case_flow import fresh, walk_to_delivery

pytestmark = pytest.mark.django_db(transaction=True)


def reference(rule, case, since):
    """The rule with its query: on the case read again, which has no note."""
    return rule(Case.objects.get(pk=case.pk), since)


def test_the_steps_deadlines_from_the_noted_days_are_those_of_the_query(
    submitted_case, coordinator, consultant, applicant
):
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    deliver = StepDeadline.objects.get(case=case, step="deliver")
    assert deliver.due == reference(deadline_services.deliver_due, case, deliver.since)
    case.days_planned.update(date=timezone.localdate())
    for day in case.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)
    report = StepDeadline.objects.get(case=case, step="report")
    assert report.due == reference(deadline_services.report_due, case, report.since)
    assert fresh(case).status == Case.Status.REPORTING


def test_a_note_of_another_version_or_without_the_days_asked_is_not_used(
    submitted_case, coordinator, consultant, applicant, django_assert_num_queries
):
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    days = list(case.days_planned.all())
    since = clock.now()
    deadline_services.days_noted(case, days, without=[SessionDay.Status.CANCELLED])
    with django_assert_num_queries(0):
        noted = deadline_services.deliver_due(case, since)
    assert noted == reference(deadline_services.deliver_due, case, since)
    deadline_services.days_noted(case, days, without=[SessionDay.Status.HELD])
    with django_assert_num_queries(1):  # the note lacks the held days the rule asks for
        deadline_services.report_due(case, since)
    deadline_services.days_noted(case, days, without=[SessionDay.Status.CANCELLED])
    case_move(case, source=[Case.Status.DELIVERY], version=None)
    with django_assert_num_queries(1):  # the case moved on since: read again
        assert deadline_services.deliver_due(case, since) == noted
