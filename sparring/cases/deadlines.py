"""Every deadline of the case, computed in one place each.

The services that set a deadline (the offer's answer-by date shown to the
consultant) and the flow's timers that act on it both call these functions, so
changing a deadline is a change here (and in its setting) only. Working days
skip weekends and Finnish public holidays (``sparring.workdays``).
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings

from sparring import clock
from sparring.workdays import HELSINKI, add_working_days


def review_reminder_at(submitted: datetime | None = None) -> datetime:
    """When the coordinators are reminded of an application still waiting for review.

    Args:
        submitted: when the application arrived (default: now).

    Returns:
        16.00 Helsinki time on the ``SPARRING_REVIEW_REMINDER_WORKING_DAYS``-th working day after.
    """
    return add_working_days(
        submitted or clock.now(), settings.SPARRING_REVIEW_REMINDER_WORKING_DAYS
    )


def offer_deadline(offered: datetime | None = None) -> datetime:
    """The moment by which the called-off consultant must accept or decline.

    The framework agreement's call-off procedure gives the supplier
    ``SPARRING_OFFER_EXPIRY_WORKING_DAYS`` working days to answer; silence counts
    as a decline and the next consultant is called off.

    Args:
        offered: when the offer was made (default: now).

    Returns:
        16.00 Helsinki time on the last working day of the answer period.
    """
    return add_working_days(offered or clock.now(), settings.SPARRING_OFFER_EXPIRY_WORKING_DAYS)


def report_reminder_at(last_day: date | None) -> datetime:
    """When the consultant is reminded of a report not yet filed.

    Args:
        last_day: the date of the last day held (default: today).

    Returns:
        09.00 Helsinki time ``SPARRING_REPORT_REMINDER_DAYS`` calendar days after it.
    """
    base = last_day or clock.today()
    due = base + timedelta(days=settings.SPARRING_REPORT_REMINDER_DAYS)
    return datetime.combine(due, time(9, 0), tzinfo=HELSINKI)


def feedback_closes_at(opened: datetime | None = None) -> datetime:
    """When the participants' feedback period (and the survey) closes.

    Args:
        opened: when the report was filed and the survey opened (default: now).

    Returns:
        ``SPARRING_FEEDBACK_DAYS`` calendar days after ``opened``.
    """
    return (opened or clock.now()) + timedelta(days=settings.SPARRING_FEEDBACK_DAYS)
