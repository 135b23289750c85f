"""The product's clock: one now()/today() for services, stored timestamps and the timer sweep."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from sparring import clock

HELSINKI = ZoneInfo("Europe/Helsinki")
MIDSUMMER_EVE = datetime(2027, 6, 25, 23, 30, tzinfo=HELSINKI)


def test_outside_travel_the_clock_is_the_real_time():
    assert abs(clock.now() - timezone.now()) < timedelta(seconds=1)


def test_travel_moves_now_and_today_and_restores_them():
    with clock.travel(MIDSUMMER_EVE, tick=False):
        assert clock.now() == MIDSUMMER_EVE
        assert clock.today().isoformat() == "2027-06-25"  # Helsinki date, not UTC's
    assert clock.now().year == timezone.now().year


def test_a_ticking_traveller_moves_on_and_can_be_moved_again():
    with clock.travel(MIDSUMMER_EVE) as traveller:
        first = clock.now()
        assert MIDSUMMER_EVE <= first < MIDSUMMER_EVE + timedelta(seconds=5)
        traveller.move_to(MIDSUMMER_EVE + timedelta(days=3))
        assert clock.today().isoformat() == "2027-06-28"


def test_the_clock_refuses_a_naive_moment():
    with pytest.raises(ValueError), clock.travel(datetime(2027, 1, 1)):
        pass


@pytest.mark.django_db
def test_stored_timestamps_and_timers_follow_the_clock(submitted_case):
    """The review reminder timer is due in five working days; travelling past it fires it."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from sparring.audit import audit_record
    from sparring.models import AuditEvent
    from workflow.timers import fire_due_timers

    # the first of the review's deadline timers (the reminder; then the second and the escalation)
    timer = (
        Task.objects.filter(
            process_id=submitted_case.process_id, flow_task_type="TIMER", status=STATUS.SCHEDULED
        )
        .order_by("scheduled")
        .first()
    )
    assert fire_due_timers() == 0
    with clock.travel(timer.scheduled + timedelta(minutes=1)):
        assert fire_due_timers() == 1
        event = audit_record(actor=None, action="case_edited", subject=submitted_case)
    assert AuditEvent.objects.filter(action="review_reminder_sent").exists()
    assert event.created > timer.scheduled
