"""The capacity and double-booking rules read the consultant's days in one query
(``schedule._consultant_days``; issue 17) and give the messages the count per month and
the clashing days' query gave (the old functions, kept here verbatim as the reference)."""

from datetime import date

import pytest
from django.utils.translation import gettext_lazy as _

from procurement.models import Consultant, Unavailability
from sparring.cases import services
from sparring.cases.services import schedule
from sparring.cases.services.schedule import _clock
from sparring.models import Case, SessionDay
from tests.unit.cases import test_double_booking as booking
from tests.unit.cases.test_case_flow import fresh
from tests.unit.cases.test_double_booking import TUESDAY, WEDNESDAY
from tests.unit.cases.test_double_booking import day as proposed

# the double-booking tests' case of the consultant and another case of theirs with a
# confirmed day on Tuesday 9-12
wide_call = pytest.fixture(booking.wide_call.__wrapped__)
scheduling_case = pytest.fixture(booking.scheduling_case.__wrapped__)
other_case = pytest.fixture(booking.other_case.__wrapped__)

pytestmark = pytest.mark.django_db

APRIL = date(2027, 4, 6)


def calendar_reference(case: Case, dates, *, exclude_day: SessionDay | None) -> list[str]:
    """The old ``_calendar_errors`` (a count of the booked days per month), verbatim."""
    consultant = case.consultant
    errors = []
    # the consultant's periods touching the proposal, read once (not a query per day)
    periods = (
        list(
            Unavailability.objects.filter(
                consultant=consultant, starts__lte=max(dates), ends__gte=min(dates)
            ).values_list("starts", "ends")
        )
        if dates
        else []
    )
    for day in dates:
        if any(starts <= day <= ends for starts, ends in periods):
            errors.append(
                _("%(date)s: the consultant is unavailable then.")
                % {"date": day.strftime("%-d.%-m.%Y")}
            )
    busy = SessionDay.objects.filter(
        case__consultant=consultant,
        status__in=[
            SessionDay.Status.CONFIRMED,
            SessionDay.Status.HELD,
            SessionDay.Status.PROPOSED,
        ],
    ).exclude(case=case, status=SessionDay.Status.PROPOSED)  # replaced by this proposal
    if exclude_day is not None:
        busy = busy.exclude(pk=exclude_day.pk)
    for year, month in sorted({(d.year, d.month) for d in dates}):
        planned = busy.filter(date__year=year, date__month=month).count()
        new = sum(1 for d in dates if (d.year, d.month) == (year, month))
        if planned + new > consultant.capacity_per_month:
            errors.append(
                _(
                    "The consultant's capacity in %(month)s/%(year)s is %(capacity)s days; %(planned)s are planned already."
                )
                % {
                    "month": month,
                    "year": year,
                    "capacity": consultant.capacity_per_month,
                    "planned": planned,
                }
            )
    return errors


def overlap_reference(case: Case, days: list[dict], *, exclude_day: SessionDay | None) -> list[str]:
    """The consultant's days of other cases whose hours overlap a proposed day (double booking).

    A proposed, confirmed or held day of another case of the same consultant on the
    same date blocks the hours from its start to its end; a day may start when the
    other ends. The case's own days never clash (a proposal replaces its proposed
    days, a moved day its old hours). One query for all the days.

    Returns:
        one message per clash, naming the other case's reference and its day's hours.
    """
    valid = [d for d in days if d["end_time"] > d["start_time"]]
    if not valid:
        return []
    taken = (
        SessionDay.objects.filter(
            case__consultant_id=case.consultant_id,
            date__in={d["date"] for d in valid},
            status__in=[
                SessionDay.Status.PROPOSED,
                SessionDay.Status.CONFIRMED,
                SessionDay.Status.HELD,
            ],
        )
        .exclude(case_id=case.pk)
        .select_related("case")
        .order_by("date", "start_time", "pk")
    )
    if exclude_day is not None:
        taken = taken.exclude(pk=exclude_day.pk)
    taken = list(taken)
    errors = []
    for d in valid:
        for other in taken:
            if (
                other.date == d["date"]
                and d["start_time"] < other.end_time
                and other.start_time < d["end_time"]
            ):
                errors.append(
                    _(
                        "%(date)s %(start)s–%(end)s overlaps the consultant's day %(other_start)s–%(other_end)s of case %(reference)s."
                    )
                    % {
                        "date": d["date"].strftime("%-d.%-m.%Y"),
                        "start": _clock(d["start_time"]),
                        "end": _clock(d["end_time"]),
                        "other_start": _clock(other.start_time),
                        "other_end": _clock(other.end_time),
                        "reference": str(other.case),
                    }
                )
    return errors


def both(case, days, exclude_day=None):
    """The reference's messages and ours, as texts."""
    dates = [d["date"] for d in days]
    reference = calendar_reference(case, dates, exclude_day=exclude_day)
    reference += overlap_reference(case, days, exclude_day=exclude_day)
    booked = schedule._consultant_days(case, dates, exclude_day=exclude_day)
    ours = schedule._calendar_errors(case, dates, booked)
    ours += schedule._overlap_errors(case, days, booked)
    return [str(m) for m in reference], [str(m) for m in ours]


def set_capacity(case, days):
    Consultant.objects.filter(pk=case.consultant_id).update(capacity_per_month=days)
    return fresh(case)


@pytest.mark.parametrize(
    "days",
    [
        [proposed(TUESDAY, (9, 0), (12, 0)), proposed(WEDNESDAY, (9, 0), (12, 0))],  # a clash
        [proposed(TUESDAY, (12, 0), (15, 0)), proposed(WEDNESDAY, (9, 0), (12, 0))],  # adjacent
        [proposed(WEDNESDAY, (9, 0), (12, 0)), proposed(APRIL, (9, 0), (12, 0))],  # two months
        [proposed(TUESDAY, (11, 0), (10, 0)), proposed(APRIL, (9, 0), (12, 0))],  # one day invalid
    ],
)
@pytest.mark.parametrize("capacity", [1, 2, 20])
def test_the_one_read_gives_the_messages_of_the_counts_and_the_clash_query(
    scheduling_case, other_case, days, capacity
):
    case = set_capacity(scheduling_case, capacity)
    Unavailability.objects.create(consultant=case.consultant, starts=APRIL, ends=APRIL)
    reference, ours = both(case, days)
    assert ours == reference


def test_own_proposed_days_and_an_excluded_day_are_left_out_alike(
    scheduling_case, other_case, consultant, django_assert_num_queries
):
    services.schedule_propose(
        actor=consultant,
        case=scheduling_case,
        days=[proposed(WEDNESDAY, (9, 0), (12, 0)), proposed(date(2027, 3, 25), (9, 0), (12, 0))],
        version=scheduling_case.version,
    )
    case = set_capacity(scheduling_case, 2)
    days = [proposed(TUESDAY, (9, 0), (12, 0)), proposed(WEDNESDAY, (13, 0), (15, 0))]
    reference, ours = both(case, days)
    assert ours == reference and len(ours) == 2  # the capacity (1 + 2 > 2), the clash
    excluded = SessionDay.objects.get(case=other_case)
    reference, ours = both(case, days, exclude_day=excluded)
    assert ours == reference == []
    with django_assert_num_queries(1):
        schedule._consultant_days(case, [TUESDAY, APRIL], exclude_day=None)
