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


# ------------------------------------------------------------------------------
# Deadlines of the waiting steps (issue 14): reminder, second reminder, escalation
# ------------------------------------------------------------------------------


def _rule(step: str) -> dict:
    return settings.SPARRING_STEP_DEADLINES[step]


def step_due_at(step: str, since: datetime) -> datetime:
    """When a waiting step falls due: ``due`` working days of its rule after ``since``.

    Args:
        step: the flow node (``cases.steps.STEPS``) with an entry in ``SPARRING_STEP_DEADLINES``.
        since: when the step started waiting.

    Returns:
        16.00 Helsinki time on that working day (so 13.00 or 14.00 UTC, whichever the
        daylight-saving time of that day gives).

    Raises:
        KeyError: the step has no rule; ValueError: its rule has no ``due`` (it has its own).
    """
    days = _rule(step)["due"]
    if days is None:
        raise ValueError(f"the step {step!r} has its own due date")
    return add_working_days(since, days)


def review_due_at(since: datetime) -> datetime:
    """The review is due when the coordinators are reminded (``review_reminder_at``)."""
    return review_reminder_at(since)


def report_due_at(last_day: date | None) -> datetime:
    """The report is due when the consultant is reminded (``report_reminder_at``)."""
    return report_reminder_at(last_day)


def deliver_due_at(last_planned_day: date | None, since: datetime) -> datetime:
    """Recording the days is due ``due`` working days after the last planned day.

    Args:
        last_planned_day: the date of the last day planned (not cancelled); None: ``since``.
        since: when the days were confirmed.
    """
    base = (
        datetime.combine(last_planned_day, time(12, 0), tzinfo=HELSINKI)
        if last_planned_day
        else since
    )
    return add_working_days(base, _rule("deliver")["due"])


def first_reminder_at(step: str, since: datetime, due: datetime) -> datetime:
    """The first reminder: at the due date, or, for a step with a ``remind`` rule (the
    offer, which expires at its due date), ``remind`` working days after it started
    waiting, before the due date."""
    days = _rule(step).get("remind")
    return due if days is None else min(due, add_working_days(since, days))


def second_reminder_at(step: str, due: datetime, since: datetime | None = None) -> datetime | None:
    """The second reminder: ``second`` working days after the due date (None: no second);
    for a step with a ``remind`` rule (it expires at its due date), ``second`` working
    days after the first reminder, and before the due date."""
    rule = _rule(step)
    days = rule["second"]
    if days is None:
        return None
    if rule.get("remind") is not None and since is not None:
        first = first_reminder_at(step, since, due)
        return min(add_working_days(first, days), due - timedelta(hours=1))
    return add_working_days(due, days)


def escalation_at(step: str, due: datetime) -> datetime | None:
    """When the coordinators are told: ``escalate`` working days after the due date (None: never)."""
    days = _rule(step)["escalate"]
    return None if days is None else add_working_days(due, days)
