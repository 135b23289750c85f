"""Each deadline is computed once, over weekends and Finnish public holidays, and the flow uses it."""

from datetime import date, datetime

import pytest
from django.test import override_settings

from sparring import clock
from sparring.cases import deadlines
from sparring.workdays import HELSINKI


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=HELSINKI)


@pytest.mark.parametrize(
    ("offered", "deadline"),
    [
        # an ordinary week: Monday -> next Monday 16.00
        (date(2026, 11, 2), date(2026, 11, 9)),
        # Midsummer 2027: Eve Fri 25.6 and Day Sat 26.6; 5 working days from Mon 21.6
        (date(2027, 6, 21), date(2027, 6, 29)),
        # Christmas 2026: Eve Thu 24.12, Day Fri 25.12, St Stephen's Sat 26.12
        (date(2026, 12, 21), date(2026, 12, 30)),
        # Easter 2027: Good Friday 26.3, Easter Monday 29.3
        (date(2027, 3, 24), date(2027, 4, 2)),
        # Independence Day Sun 6.12.2026 falls on a weekend: nothing extra to skip
        (date(2026, 12, 3), date(2026, 12, 10)),
    ],
)
def test_offer_deadline_counts_five_working_days(offered, deadline):
    assert deadlines.offer_deadline(at(offered)) == datetime(
        deadline.year, deadline.month, deadline.day, 16, tzinfo=HELSINKI
    )


@override_settings(SPARRING_OFFER_EXPIRY_WORKING_DAYS=3)
def test_offer_deadline_follows_its_setting():
    assert deadlines.offer_deadline(at(date(2027, 6, 21))).date() == date(2027, 6, 24)


def test_review_reminder_skips_easter():
    assert deadlines.review_reminder_at(at(date(2027, 3, 25))).date() == date(2027, 4, 5)


def test_report_reminder_and_feedback_period_are_calendar_days():
    assert deadlines.report_reminder_at(date(2026, 12, 20)) == datetime(
        2027, 1, 3, 9, tzinfo=HELSINKI
    )
    assert deadlines.feedback_closes_at(at(date(2026, 12, 20))) == at(date(2027, 1, 3))


def test_defaults_read_the_products_clock():
    with clock.travel(at(date(2027, 6, 21), 10)):
        assert deadlines.offer_deadline().date() == date(2027, 6, 29)
        assert deadlines.report_reminder_at(None).date() == date(2027, 7, 5)


@pytest.mark.django_db
@override_settings(SPARRING_OFFER_EXPIRY_WORKING_DAYS=2)
def test_the_offer_and_the_flows_timer_share_one_deadline(
    applicant, coordinator, consultant, open_call
):
    """Changing the setting moves the deadline shown on the offer and the flow's timer alike."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from procurement.models import Offer
    from sparring.cases import services
    from tests.unit.procurement.test_calloff import approved_case

    case = approved_case(applicant, coordinator, open_call)
    with clock.travel(at(date(2026, 12, 22), 10)):
        services.case_call_off(actor=coordinator, case=case, version=case.version)
    offer = Offer.objects.get(case=case)
    assert offer.deadline == datetime(2026, 12, 28, 16, tzinfo=HELSINKI)  # 24.-26.12 skipped
    from workflow.flows import SparringFlow

    # the expiry (the offer's deadline timers, reminders, are tests/unit/cases/test_step_deadlines)
    timer = Task.objects.get(
        process_id=case.process_id, status=STATUS.SCHEDULED, flow_task=SparringFlow.offer__timeout
    )
    assert timer.flow_task.name.startswith("offer")
    assert timer.scheduled == offer.deadline
