"""A deadline on every waiting step (issue 14, item 1).

A case that stalls at each waiting step gets a reminder to the party who must act, a
second reminder, and then the coordinators are told; each once, on the timeline, and
all cancelled when the step is done. The timers run on the product's clock, 16.00
Helsinki time on working days, across daylight-saving changes and Finnish holidays.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from sparring import clock
from sparring.cases import deadlines, services
from sparring.cases.steps import STEPS
from sparring.models import Case, StepDeadline
from sparring.reports import services as report_services
from tests.conftest import REPORT
from tests.unit.cases.test_case_flow import (
    approve,
    days_from_today,
    expire_due_timers,
    fresh,
    offer_to,
    walk_to_delivery,
)
from workflow.flows import SparringFlow, is_deadline_timer
from workflow.timers import fire_due_timers

pytestmark = pytest.mark.django_db(transaction=True)

REMINDER_ACTION = {"review": "review_reminder_sent", "report": "report_reminder_sent"}


# -- getting a case to each waiting step ----------------------------------------


def at_review(case, coordinator, consultant, applicant):
    return case


def at_amend(case, coordinator, consultant, applicant):
    services.case_decide(
        actor=coordinator,
        case=fresh(case),
        decision="return",
        comment="Tarkenna tavoitetta.",
        version=case.version,
    )
    return fresh(case)


def at_call_off(case, coordinator, consultant, applicant):
    approve(case, coordinator)
    return fresh(case)


def at_offer(case, coordinator, consultant, applicant):
    approve(case, coordinator)
    offer_to(case, coordinator, consultant)
    return fresh(case)


def at_schedule(case, coordinator, consultant, applicant):
    approve(case, coordinator)
    offer = offer_to(case, coordinator, consultant)
    services.offer_answer(actor=consultant, offer=offer, accept=True)
    return fresh(case)


def at_confirm(case, coordinator, consultant, applicant):
    case = at_schedule(case, coordinator, consultant, applicant)
    services.schedule_propose(
        actor=consultant, case=case, days=days_from_today(3), version=case.version
    )
    return fresh(case)


def at_deliver(case, coordinator, consultant, applicant):
    return walk_to_delivery(case, coordinator, consultant, applicant)


def at_report(case, coordinator, consultant, applicant):
    case = walk_to_delivery(case, coordinator, consultant, applicant)
    case.days_planned.update(date=clock.today())
    for day in case.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)
    return fresh(case)


def at_close(case, coordinator, consultant, applicant):
    case = at_report(case, coordinator, consultant, applicant)
    report_services.report_submit(actor=consultant, case=case, data=REPORT, version=case.version)
    expire_due_timers(case, SparringFlow.feedback)
    return fresh(case)


# -- and taking it ----------------------------------------------------------------


def do_review(case, coordinator, consultant, applicant):
    approve(case, coordinator)


def do_amend(case, coordinator, consultant, applicant):
    services.case_submit(actor=applicant, case=fresh(case), version=fresh(case).version)


def do_call_off(case, coordinator, consultant, applicant):
    offer_to(case, coordinator, consultant)


def do_offer(case, coordinator, consultant, applicant):
    from procurement.models import Offer

    offer = Offer.objects.get(case=case, status=Offer.Status.OFFERED)
    services.offer_answer(actor=consultant, offer=offer, accept=True)


def do_schedule(case, coordinator, consultant, applicant):
    services.schedule_propose(
        actor=consultant, case=fresh(case), days=days_from_today(3), version=fresh(case).version
    )


def do_confirm(case, coordinator, consultant, applicant):
    services.schedule_confirm(
        actor=applicant, case=fresh(case), accept=True, comment="", version=fresh(case).version
    )


def do_deliver(case, coordinator, consultant, applicant):
    case.days_planned.update(date=clock.today())
    for day in case.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)


def do_report(case, coordinator, consultant, applicant):
    report_services.report_submit(
        actor=consultant, case=fresh(case), data=REPORT, version=fresh(case).version
    )


def do_close(case, coordinator, consultant, applicant):
    services.case_close(
        actor=coordinator, case=fresh(case), comment="", version=fresh(case).version
    )


WAITING = {
    "review": (at_review, do_review, "coordinator"),
    "amend": (at_amend, do_amend, "applicant"),
    "call_off": (at_call_off, do_call_off, "coordinator"),
    "offer": (at_offer, do_offer, "consultant"),
    "schedule": (at_schedule, do_schedule, "consultant"),
    "confirm": (at_confirm, do_confirm, "applicant"),
    "deliver": (at_deliver, do_deliver, "consultant"),
    "report": (at_report, do_report, "consultant"),
    "close": (at_close, do_close, "coordinator"),
}


def deadline_timers(case, step):
    """The step's open deadline timers, by the moment they are due."""
    timers = (
        Task.objects.filter(
            process_id=case.process_id,
            status=STATUS.SCHEDULED,
            flow_task_type="TIMER",
            previous__flow_task=getattr(SparringFlow, step),
        )
        .order_by("scheduled")
        .distinct()
    )
    return [timer for timer in timers if is_deadline_timer(timer.flow_task)]


def fire_at(moment):
    with clock.travel(moment + timedelta(seconds=1), tick=False):
        return fire_due_timers()


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def test_every_waiting_step_of_a_person_has_a_deadline_rule_and_its_timers():
    for node, step in STEPS.items():
        flow_node = getattr(SparringFlow, node)
        timers = [b for b in flow_node._boundary_events if is_deadline_timer(b)]
        if step.actor in ("system", "participants"):
            assert step.deadline is None and not timers, node
            continue
        assert step.deadline is not None, node
        expected = 2 if node == "offer" else 3  # the offer's expiry tells the coordinators
        assert len(timers) == expected, node


@pytest.mark.parametrize("step", list(WAITING))
def test_a_stalled_step_reminds_twice_then_tells_the_coordinators_each_once(
    step, submitted_case, coordinator, consultant, applicant, client_for
):
    arrive, _take, party = WAITING[step]
    case = arrive(submitted_case, coordinator, consultant, applicant)
    deadline = StepDeadline.objects.get(case=case, step=step, task__finished__isnull=True)
    assert deadline.since <= clock.now() < deadline.due
    timers = deadline_timers(case, step)
    # the first reminder at the due date; the offer's before it (the offer expires then)
    assert timers[0].scheduled == deadlines.first_reminder_at(step, deadline.since, deadline.due)
    if step == "offer":
        offer = case.offers.get(status="offered")
        assert deadline.due == offer.deadline  # one deadline: the offer's own
        assert timers[-1].scheduled < offer.deadline
    party_addresses = {
        "coordinator": [coordinator.email],
        "consultant": [consultant.email],
        "applicant": sorted([applicant.email, case.contact_email]),
    }[party]

    expected_actions = [
        REMINDER_ACTION.get(step, "deadline_reminder_sent"),
        "deadline_second_reminder_sent",
        "deadline_escalated",
    ][: len(timers)]
    for timer, action in zip(timers, expected_actions, strict=True):
        mail.outbox.clear()
        assert fire_at(timer.scheduled) >= 1
        assert fire_at(timer.scheduled) == 0  # once
        assert fresh(case).events.filter(action=action).count() == 1, action
        if action == "deadline_escalated":
            assert recipients() == [coordinator.email]
        else:
            assert recipients() == party_addresses
        assert fresh(case).status in Case.Status.values  # nothing moved the case
    deadline.refresh_from_db()
    assert deadline.reminded_at and deadline.second_reminded_at
    if step != "offer":
        assert deadline.escalated_at
    # a notice already sent is not sent again, whatever fires it
    from sparring.cases.services import deadlines as deadline_services

    assert not deadline_services.step_deadline_notice(
        deadline=deadline, kind="reminder", actor=party, waiting=STEPS[step].waiting
    )


@pytest.mark.parametrize("step", list(WAITING))
def test_the_timers_are_cancelled_when_the_step_is_done(
    step, submitted_case, coordinator, consultant, applicant
):
    arrive, take, _party = WAITING[step]
    case = arrive(submitted_case, coordinator, consultant, applicant)
    timers = deadline_timers(case, step)
    assert timers
    take(case, coordinator, consultant, applicant)
    for timer in timers:
        timer.refresh_from_db()
        assert timer.status == STATUS.CANCELED, timer.flow_task
    assert not StepDeadline.objects.filter(
        case=case, step=step, task__finished__isnull=True
    ).exists()
    mail.outbox.clear()
    fire_at(max(t.scheduled for t in timers))
    assert (
        not fresh(case)
        .events.filter(
            data__step=step, action__in=["deadline_second_reminder_sent", "deadline_escalated"]
        )
        .exists()
    )


def test_the_timers_of_a_withdrawn_case_are_cancelled(submitted_case, applicant):
    timers = deadline_timers(submitted_case, "review")
    services.case_withdraw(
        actor=applicant,
        case=fresh(submitted_case),
        reason="Ei tarvetta",
        version=fresh(submitted_case).version,
    )
    mail.outbox.clear()
    fire_at(max(t.scheduled for t in timers))
    assert mail.outbox == []


# -- the product's clock, daylight-saving time and Finnish holidays ------------------


def helsinki(*args):
    from sparring.workdays import HELSINKI

    return datetime(*args, tzinfo=HELSINKI)


def test_a_reminder_across_the_spring_dst_change_and_easter_fires_at_16_helsinki(
    applicant, open_call, coordinator
):
    """Submitted Thursday 25.3.2027: Good Friday, the clocks go forward on Sunday 28.3,
    Easter Monday; the fifth working day is Monday 5.4, 16.00 EEST = 13.00 UTC."""
    from tests.conftest import application_data

    open_call.opens_at = helsinki(2027, 1, 1, 0, 0)
    open_call.closes_at = helsinki(2027, 12, 31, 0, 0)
    open_call.save()
    with clock.travel(helsinki(2027, 3, 25, 10, 0), tick=False):
        case = services.case_create(actor=applicant, call=open_call, data=application_data())
        services.case_submit(actor=applicant, case=case, version=case.version)
    deadline = StepDeadline.objects.get(case=case, step="review")
    assert deadline.due == datetime(2027, 4, 5, 13, 0, tzinfo=UTC)
    mail.outbox.clear()
    assert fire_at(datetime(2027, 4, 5, 12, 59, tzinfo=UTC)) == 0
    assert fire_at(deadline.due) == 1
    assert recipients() == [coordinator.email]
    second = deadline_timers(case, "review")[0]
    # three working days after Monday 5.4: Thursday 8.4
    assert second.scheduled == datetime(2027, 4, 8, 13, 0, tzinfo=UTC)


def test_a_reminder_across_the_autumn_dst_change_fires_at_16_helsinki(
    applicant, open_call, coordinator, settings
):
    """Waiting from Friday 23.10.2026, one working day: Monday 26.10 after the clocks went
    back on Sunday 25.10: 16.00 EET = 14.00 UTC; second reminder over All Saints' Day."""
    from tests.conftest import application_data

    settings.SPARRING_REVIEW_REMINDER_WORKING_DAYS = 1
    settings.SPARRING_STEP_DEADLINES = {
        **settings.SPARRING_STEP_DEADLINES,
        "review": {"due": None, "second": 5, "escalate": 6},
    }
    open_call.opens_at = helsinki(2026, 1, 1, 0, 0)
    open_call.closes_at = helsinki(2026, 12, 31, 0, 0)
    open_call.save()
    with clock.travel(helsinki(2026, 10, 23, 17, 0), tick=False):
        case = services.case_create(actor=applicant, call=open_call, data=application_data())
        services.case_submit(actor=applicant, case=case, version=case.version)
    deadline = StepDeadline.objects.get(case=case, step="review")
    assert deadline.due == datetime(2026, 10, 26, 14, 0, tzinfo=UTC)
    timers = deadline_timers(case, "review")
    # Mon 26.10 + 5 working days: 27, 28, 29, 30.10, (Sat 31.10 All Saints' Day), 2.11
    assert timers[1].scheduled == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert timers[2].scheduled == datetime(2026, 11, 3, 14, 0, tzinfo=UTC)


def test_working_day_rules_skip_christmas_and_midsummer():
    friday = helsinki(2026, 12, 18, 12, 0)
    # 21, 22, 23.12, (24-26.12 Christmas), 28, 29.12: the fifth working day
    assert deadlines.step_due_at("confirm", friday) == helsinki(2026, 12, 29, 16, 0)
    assert deadlines.second_reminder_at("confirm", helsinki(2027, 6, 23, 16, 0)) == helsinki(
        2027, 6, 29, 16, 0
    )  # Midsummer Eve 25.6 and the weekend skipped


# -- the late cases page (item 2) ---------------------------------------------------


def late_page(client, **params):
    from django.urls import reverse

    return client.get(reverse("sparring:late_cases"), params)


@pytest.mark.parametrize("step", list(WAITING))
def test_a_stalled_step_is_on_the_late_cases_page_once_until_it_is_done(
    step, submitted_case, coordinator, consultant, applicant, client_for
):
    arrive, take, _party = WAITING[step]
    case = arrive(submitted_case, coordinator, consultant, applicant)
    deadline = StepDeadline.objects.get(case=case, step=step, task__finished__isnull=True)
    client = client_for(coordinator)
    with clock.travel(deadline.due + timedelta(days=3), tick=False):
        html = late_page(client, lateness="late").content.decode()
        assert html.count(f'data-step="{step}"') == 1
        assert html.count(f"/cases/{case.pk}/") == 1
        assert f'data-step="{step}"' in late_page(client, step=step).content.decode()
        assert f'data-step="{step}"' not in late_page(client, lateness="on_time").content.decode()
        home = client.get("/coordinator/").content.decode()
        assert f'data-step="{step}"' in home
        page = client.get(f"/cases/{case.pk}/").content.decode()
        assert "late-mark" in page
    take(case, coordinator, consultant, applicant)
    with clock.travel(deadline.due + timedelta(days=3), tick=False):
        assert f'data-step="{step}"' not in late_page(client).content.decode()


def test_the_late_cases_page_is_for_coordinators_only(client_for, applicant, consultant):
    for user in (applicant, consultant):
        assert late_page(client_for(user)).status_code in (403, 404)


def test_the_late_cases_page_filters_sorts_and_keeps_its_query_count(
    applicant, open_call, coordinator, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import application_data

    def submit(n, at):
        with clock.travel(at, tick=False):
            for _ in range(n):
                case = services.case_create(
                    actor=applicant, call=open_call, data=application_data()
                )
                services.case_submit(actor=applicant, case=case, version=case.version)

    start = clock.now() - timedelta(days=30)
    open_call.opens_at = start - timedelta(days=1)
    open_call.save()
    submit(2, start)
    client = client_for(coordinator)
    params = {"lateness": "late", "sort": "-since", "call": open_call.pk, "step": "review"}
    with CaptureQueriesContext(connection) as few:
        response = late_page(client, **params)
    assert response.status_code == 200
    assert response.content.decode().count('data-step="review"') == 2
    submit(4, start + timedelta(days=1))
    with CaptureQueriesContext(connection) as more:
        response = late_page(client, **params)
    assert response.content.decode().count('data-step="review"') == 6
    assert len(more) == len(few)
    assert late_page(client, sort="due").status_code == 200
    assert late_page(client, coordinator=coordinator.pk).status_code == 200
    assert late_page(client, lateness="nonsense", sort="nonsense").status_code == 200


def test_reminders_are_in_the_recipients_language(
    submitted_case, coordinator, consultant, applicant
):
    applicant.language = "sv"
    applicant.save(update_fields=["language"])
    case = at_amend(submitted_case, coordinator, consultant, applicant)
    timers = deadline_timers(case, "amend")
    mail.outbox.clear()
    fire_at(timers[0].scheduled)
    by_recipient = {m.to[0]: m for m in mail.outbox}
    swedish, finnish = by_recipient[applicant.email], by_recipient[case.contact_email]
    assert swedish.subject == f"Påminnelse: {case.reference} väntar på dig"
    assert "Sökanden kompletterar ansökan" in swedish.body
    assert finnish.subject == f"Muistutus: {case.reference} odottaa sinua"
    fire_at(timers[1].scheduled)
    mail.outbox.clear()
    fire_at(timers[2].scheduled)
    assert [m.subject for m in mail.outbox] == [
        f"Myöhässä: {case.reference} on odottanut yli määräajan"
    ]


def test_recording_the_days_is_due_after_the_last_day_even_when_a_day_moves(
    submitted_case, coordinator, consultant, applicant
):
    """The deliver step falls due 3 working days after the last planned day; moving that day
    three weeks later moves the due date and the timers not yet fired."""
    case = at_deliver(submitted_case, coordinator, consultant, applicant)
    last = case.days_planned.order_by("-date").first()
    deadline = StepDeadline.objects.get(case=case, step="deliver")
    assert deadline.due == deadlines.deliver_due_at(last.date, deadline.since)
    new_date = last.date + timedelta(days=21)
    services.session_day_reschedule(
        actor=consultant,
        day=last,
        data={
            "date": new_date,
            "start_time": last.start_time,
            "end_time": last.end_time,
            "place": "Verkossa",
            "non_working_confirmed": True,
        },
        reason="Sairastuminen",
    )
    deadline.refresh_from_db()
    assert deadline.due == deadlines.deliver_due_at(new_date, deadline.since)
    timers = deadline_timers(case, "deliver")
    assert [t.scheduled for t in timers] == [
        deadline.due,
        deadlines.second_reminder_at("deliver", deadline.due),
        deadlines.escalation_at("deliver", deadline.due),
    ]


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_the_late_pages_sort_options_are_translated(coordinator, client_for, language):
    """A stranger's finding: "Tunnus (descending)" on the Finnish and Swedish page."""
    from django.conf import settings

    client = client_for(coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get("/coordinator/late/").content.decode()
    assert "descending" not in page and "(desc" not in page
