"""The call's committed days in one query (issue 17), compared with the two queries it
replaced (kept here as the reference)."""

import pytest
from django.db.models import Sum

from sparring.cases import services, states
from sparring.models import Case, SessionDay
from tests.unit.cases.test_case_flow import fresh, walk_to_delivery

pytestmark = pytest.mark.django_db(transaction=True)


def committed_reference(call, *, excluding=None) -> int:
    """The old ``call_days_committed``: a SUM over the call's cases, then a COUNT of the
    days held in its stopped cases."""
    stopped = states.NOT_PROCEEDING
    query = Case.objects.filter(call=call, approved_days__isnull=False).exclude(status__in=stopped)
    if excluding is not None:
        query = query.exclude(pk=excluding.pk)
    active = query.aggregate(days=Sum("approved_days"))["days"] or 0
    held = SessionDay.objects.filter(
        case__call=call, case__status__in=stopped, status=SessionDay.Status.HELD
    ).count()
    return active + held


def test_the_committed_days_are_the_references_in_every_state(
    submitted_case, coordinator, consultant, applicant, django_assert_num_queries
):
    call = submitted_case.call
    seen = []

    def compare(case=None):
        with django_assert_num_queries(1):
            ours = services.call_days_committed(call, excluding=case)
        assert ours == committed_reference(call, excluding=case)
        seen.append(ours)

    compare()  # nothing approved yet
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    compare()
    compare(case)
    first = case.days_planned.order_by("date").first()
    services.session_day_record(actor=consultant, day=first, participants=12)
    services.case_cancel(
        actor=coordinator, case=fresh(case), reason="Muutos", version=fresh(case).version
    )
    compare()  # the held day of the stopped case still counts
    compare(case)
    assert seen == [0, case.approved_days, 0, 1, 1]
