"""A consultant cannot be booked on the same hours for two cases: proposed, moved and added
days are refused when they overlap another case's day of the same consultant, and the refusal
names that case and day (issue 14, item 6)."""

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError

from sparring.cases import services
from sparring.cases.services.schedule import validate_days
from sparring.models import Call, Case, SessionDay
from tests.conftest import make_consultant
from tests.unit.cases.test_case_flow import approve, fresh, offer_to

pytestmark = pytest.mark.django_db

TUESDAY = date(2027, 3, 30)
WEDNESDAY = date(2027, 3, 31)


@pytest.fixture
def wide_call(open_call):
    Call.objects.filter(pk=open_call.pk).update(
        delivery_starts=date(2026, 1, 1), delivery_ends=date(2027, 12, 31)
    )


@pytest.fixture
def scheduling_case(wide_call, submitted_case, coordinator, consultant):
    approve(submitted_case, coordinator)
    offer = offer_to(submitted_case, coordinator, consultant)
    services.offer_answer(actor=consultant, offer=offer, accept=True)
    return fresh(submitted_case)


@pytest.fixture
def other_case(scheduling_case, consultant):
    """Another case of the same consultant with a confirmed day on Tuesday 9–12."""
    other = Case.objects.get(pk=scheduling_case.pk)
    other.pk = None
    other.reference = "SP-OTHER-1"
    other.process = None
    other.submission_token = None
    other.status = Case.Status.DELIVERY
    other.save()
    SessionDay.objects.create(
        case=other,
        date=TUESDAY,
        start_time=time(9),
        end_time=time(12),
        place="Talo",
        status=SessionDay.Status.CONFIRMED,
    )
    return other


def day(on, start, end):
    return {"date": on, "start_time": time(*start), "end_time": time(*end), "place": "Talo"}


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ((9, 0), (12, 0)),  # the same hours
        ((11, 0), (15, 0)),  # starts inside
        ((8, 0), (9, 30)),  # ends inside
        ((8, 0), (16, 0)),  # covers it
        ((10, 0), (11, 0)),  # inside it
    ],
)
def test_overlapping_hours_on_the_same_day_are_refused_naming_the_case(
    scheduling_case, other_case, start, end
):
    with pytest.raises(ValidationError) as refused:
        validate_days(scheduling_case, [day(TUESDAY, start, end), day(WEDNESDAY, (9, 0), (12, 0))])
    text = " ".join(refused.value.messages)
    assert "SP-OTHER-1" in text
    assert "30.3.2027" in text
    assert "9.00–12.00" in text


@pytest.mark.parametrize(
    ("on", "start", "end"),
    [
        (TUESDAY, (12, 0), (16, 0)),  # starts when the other ends
        (TUESDAY, (7, 0), (9, 0)),  # ends when the other starts
        (WEDNESDAY, (9, 0), (12, 0)),  # the same hours on another day
    ],
)
def test_adjacent_hours_and_other_days_are_accepted(scheduling_case, other_case, on, start, end):
    thursday = date(2027, 4, 1)
    validate_days(scheduling_case, [day(on, start, end), day(thursday, (9, 0), (12, 0))])


@pytest.mark.parametrize(
    "status",
    [SessionDay.Status.PROPOSED, SessionDay.Status.CONFIRMED, SessionDay.Status.HELD],
)
def test_proposed_confirmed_and_held_days_all_block(scheduling_case, other_case, status):
    other_case.days_planned.update(status=status)
    with pytest.raises(ValidationError):
        validate_days(
            scheduling_case, [day(TUESDAY, (9, 0), (10, 0)), day(WEDNESDAY, (9, 0), (10, 0))]
        )


def test_a_cancelled_day_blocks_nothing(scheduling_case, other_case):
    other_case.days_planned.update(status=SessionDay.Status.CANCELLED)
    validate_days(scheduling_case, [day(TUESDAY, (9, 0), (10, 0)), day(WEDNESDAY, (9, 0), (10, 0))])


def test_another_consultants_day_blocks_nothing(scheduling_case, other_case, supplier):
    other_user = make_consultant("toinen.konsultti", supplier)
    Case.objects.filter(pk=other_case.pk).update(consultant=other_user.consultant)
    validate_days(scheduling_case, [day(TUESDAY, (9, 0), (12, 0)), day(WEDNESDAY, (9, 0), (12, 0))])


def test_the_proposal_through_the_service_is_refused(scheduling_case, other_case, consultant):
    with pytest.raises(ValidationError):
        services.schedule_propose(
            actor=consultant,
            case=scheduling_case,
            days=[day(TUESDAY, (10, 0), (14, 0)), day(WEDNESDAY, (9, 0), (12, 0))],
            version=scheduling_case.version,
        )
    assert not scheduling_case.days_planned.exists()


def test_moving_a_day_onto_another_cases_hours_is_refused(
    scheduling_case, other_case, consultant, applicant
):
    services.schedule_propose(
        actor=consultant,
        case=scheduling_case,
        days=[day(WEDNESDAY, (9, 0), (12, 0)), day(date(2027, 4, 1), (9, 0), (12, 0))],
        version=scheduling_case.version,
    )
    case = fresh(scheduling_case)
    services.schedule_confirm(
        actor=applicant, case=case, accept=True, comment="", version=case.version
    )
    moved = fresh(case).days_planned.order_by("date").first()
    with pytest.raises(ValidationError) as refused:
        services.session_day_reschedule(
            actor=consultant, day=moved, data=day(TUESDAY, (11, 0), (13, 0)), reason="Sali varattu"
        )
    assert "SP-OTHER-1" in " ".join(refused.value.messages)
    # moving within its own hours on the same case is not a clash with itself
    services.session_day_reschedule(
        actor=consultant, day=moved, data=day(WEDNESDAY, (10, 0), (13, 0)), reason="Aamu ei käy"
    )
