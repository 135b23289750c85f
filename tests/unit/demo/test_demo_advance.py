"""demo_advance: a demo case moved N days into its past, its timers fired."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from sparring import clock
from sparring.models import AuditEvent, Case


@pytest.mark.django_db(
    transaction=True
)  # the report's PDF job runs on commit, then the timer waits
def test_the_feedback_period_ends_after_moving_the_case_14_days(settings, reported_case, capsys):
    settings.DEBUG = True
    assert reported_case.status == Case.Status.FEEDBACK
    closes = reported_case.survey.closes_at
    days = list(reported_case.days_planned.values_list("date", flat=True))
    call_command("demo_advance", reported_case.reference, "--days", "14")
    case = Case.objects.get(pk=reported_case.pk)
    assert case.status == Case.Status.CLOSING  # the feedback timer fired
    assert case.survey.closes_at == closes - timedelta(days=14)
    assert list(case.days_planned.values_list("date", flat=True)) == [
        d - timedelta(days=14) for d in days
    ]
    event = AuditEvent.objects.get(action="demo_advanced")
    assert event.case == case and event.data["days"] == 14


@pytest.mark.django_db(transaction=True)
def test_a_shorter_move_leaves_the_timer_waiting(settings, reported_case):
    settings.DEBUG = True
    call_command("demo_advance", reported_case.reference, "--days", "3")
    assert Case.objects.get(pk=reported_case.pk).status == Case.Status.FEEDBACK
    assert reported_case.survey.closes_at - timedelta(days=3) > clock.now()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["SP-1999-0001"], "No case"),
        (["X", "--days", "0"], "--days"),
        (["X", "--days", "-5"], "--days"),
    ],
)
def test_bad_input_is_a_clear_error(settings, db, args, message):
    settings.DEBUG = True
    with pytest.raises(CommandError, match=message):
        call_command("demo_advance", *args)


@pytest.mark.django_db
def test_refused_outside_the_demo(settings, reported_case):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("demo_advance", reported_case.reference)


@pytest.mark.django_db
def test_a_confirmed_day_ahead_can_be_recorded_after_moving_the_case(
    settings, submitted_case, coordinator, consultant, applicant
):
    from django.core.exceptions import ValidationError

    from sparring.cases import services
    from tests.unit.cases.test_case_flow import approve, days_from_today, fresh, offer_to

    settings.DEBUG = True
    approve(submitted_case, coordinator)
    offer = offer_to(submitted_case, coordinator, consultant)
    services.offer_answer(actor=consultant, offer=offer, accept=True)
    case = fresh(submitted_case)
    services.schedule_propose(
        actor=consultant, case=case, days=days_from_today(10), version=case.version
    )
    services.schedule_confirm(
        actor=applicant, case=fresh(case), accept=True, comment="", version=case.version
    )
    day = fresh(case).days_planned.order_by("date").first()
    with pytest.raises(ValidationError):  # not held yet: it is ten days ahead
        services.session_day_record(actor=consultant, day=day, participants=12)
    call_command("demo_advance", case.reference, "--days", "11")
    day.refresh_from_db()
    assert day.date == clock.today() - timedelta(days=1)
    services.session_day_record(actor=consultant, day=day, participants=12)
    day.refresh_from_db()
    assert day.status == "held"
