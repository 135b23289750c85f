"""Every date and time shown or sent is in Helsinki time, also near midnight (issue 18, item 2).

Aware datetimes are stored in UTC; 00.30 in Helsinki is 22.30 or 21.30 UTC of
the previous day, so a date taken from the stored value without converting it
is a day early.
"""

from datetime import UTC, datetime

import pytest
from django.core import mail

from sparring.audit import audit_record
from sparring.cases import services
from sparring.models import AuditEvent, Case
from sparring.workdays import HELSINKI

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("submitted", "shown", "day_early"),
    [
        # the field report: winter time, UTC+2
        (datetime(2026, 12, 2, 0, 30, tzinfo=HELSINKI), "2.12.2026", "1.12.2026"),
        # summer time, UTC+3: 02.59 in Helsinki is 23.59 UTC the day before
        (datetime(2026, 6, 1, 2, 59, tzinfo=HELSINKI), "1.6.2026", "31.5.2026"),
    ],
)
def test_the_review_reminder_gives_the_submission_date_in_helsinki(
    submitted_case, coordinator, submitted, shown, day_early, django_capture_on_commit_callbacks
):
    Case.objects.filter(pk=submitted_case.pk).update(submitted_at=submitted)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_review_reminder(case=submitted_case)
    (message,) = [m for m in mail.outbox if m.to == [coordinator.email]]
    assert shown in message.body
    assert day_early not in message.body


def test_a_mini_competitions_name_gives_its_deadline_in_helsinki(submitted_case, coordinator):
    from procurement.models import MiniCompetition

    # as the database gives it back: in UTC
    deadline = datetime(2026, 12, 2, 0, 15, tzinfo=HELSINKI).astimezone(UTC)
    competition = MiniCompetition(case=submitted_case, deadline=deadline)
    assert str(competition).endswith("02.12.2026")


def test_an_audit_rows_name_gives_its_time_in_helsinki(submitted_case, coordinator):
    audit_record(actor=coordinator, action="case_taken", subject=submitted_case)
    event = AuditEvent.objects.latest("pk")
    event.created = datetime(2026, 12, 2, 0, 30, tzinfo=HELSINKI).astimezone(UTC)
    assert str(event).startswith("2026-12-02 00:30")


@pytest.mark.parametrize(
    ("moment", "stamp"),
    [
        (datetime(2026, 12, 1, 22, 30, tzinfo=UTC), "2026-12-02T00:30:00+02:00"),
        (datetime(2026, 5, 31, 23, 59, tzinfo=UTC), "2026-06-01T02:59:00+03:00"),
    ],
)
def test_the_open_data_export_gives_times_in_helsinki(moment, stamp):
    from sparring.api.ocds import _stamp

    assert _stamp(moment) == stamp
