"""The case flow through the services, step by step, with every branch."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from procurement.models import Offer
from sparring.cases import services
from sparring.models import AuditEvent, Case, SessionDay
from sparring.reports import services as report_services
from tests.conftest import make_consultant, make_user
from workflow.flows import SparringFlow, is_deadline_timer
from workflow.tasks import fire_workflow_timers

pytestmark = pytest.mark.django_db(transaction=True)


def open_tasks(case):
    """The open tasks of the case's flow, without the deadline timers (test_step_deadlines)."""
    return sorted(
        t.flow_task.name
        for t in Task.objects.filter(process_id=case.process_id).exclude(
            status__in=[STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED]
        )
        if not is_deadline_timer(t.flow_task)
    )


def fresh(case):
    case.refresh_from_db()
    return case


def approve(case, coordinator, days=2):
    return services.case_decide(
        actor=coordinator,
        case=fresh(case),
        decision="approve",
        comment="",
        version=case.version,
        approved_days=days,
    )


def offer_to(case, coordinator, consultant_user):
    return services.case_call_off(
        actor=coordinator,
        case=fresh(case),
        consultant=consultant_user.consultant,
        version=case.version,
    )


def days_from_today(n, count=2):
    today = timezone.localdate()
    return [
        {
            "date": today + timedelta(days=n + i),
            "start_time": timezone.datetime(2026, 1, 1, 9, 0).time(),
            "end_time": timezone.datetime(2026, 1, 1, 15, 30).time(),
            "place": "Kaupungintalo, Hämeenkatu 1",
            # whatever weekday the suite runs on (tests/unit/cases/test_days_off.py checks the rule)
            "non_working_confirmed": True,
        }
        for i in range(count)
    ]


def expire_due_timers(case, node):
    Task.objects.filter(process_id=case.process_id, flow_task=node, status=STATUS.SCHEDULED).update(
        scheduled=timezone.now() - timedelta(seconds=1)
    )
    return fire_workflow_timers()


def test_submit_starts_the_flow_and_tells_applicant_and_coordinators(submitted_case, coordinator):
    case = fresh(submitted_case)
    assert case.status == Case.Status.SUBMITTED
    assert case.reference.startswith(f"SP-{timezone.localdate().year}-")
    assert open_tasks(case) == ["review"]
    recipients = sorted(address for m in mail.outbox for address in m.to)
    assert recipients == sorted(
        ["anna.hakija@example.invalid", "anna.yhteys@example.invalid", coordinator.email]
    )


def test_a_second_submit_of_the_same_page_is_refused(submitted_case, applicant, draft_case):
    with pytest.raises((services.StaleCase, services.StepNotAvailable)):
        services.case_submit(actor=applicant, case=draft_case, version=1)
    assert SparringFlow.process_class.objects.count() == 1


def test_return_for_amendment_and_resubmit(submitted_case, applicant, coordinator):
    case = services.case_decide(
        actor=coordinator,
        case=fresh(submitted_case),
        decision="return",
        comment="Tarkenna tavoitetta.",
        version=submitted_case.version,
    )
    assert fresh(case).status == Case.Status.RETURNED
    assert open_tasks(case) == ["amend"]
    assert "Tarkenna tavoitetta." in mail.outbox[-1].body

    services.case_update(
        actor=applicant,
        case=fresh(case),
        data={"goal": "Tarkennettu tavoite."},
        version=case.version,
    )
    services.case_submit(actor=applicant, case=fresh(case), version=case.version)
    assert fresh(case).status == Case.Status.SUBMITTED
    assert open_tasks(case) == ["review"]


def test_return_and_reject_need_a_reason(submitted_case, coordinator):
    for decision in ("return", "reject"):
        with pytest.raises(ValidationError):
            services.case_decide(
                actor=coordinator,
                case=fresh(submitted_case),
                decision=decision,
                comment=" ",
                version=submitted_case.version,
            )
    assert fresh(submitted_case).status == Case.Status.SUBMITTED


def test_rejection_ends_the_process(submitted_case, coordinator):
    services.case_decide(
        actor=coordinator,
        case=fresh(submitted_case),
        decision="reject",
        comment="Ei kohderyhmää.",
        version=submitted_case.version,
    )
    case = fresh(submitted_case)
    assert case.status == Case.Status.REJECTED
    assert case.process.status == PROCESS.DONE
    assert open_tasks(case) == []


def test_two_coordinators_deciding_at_once_one_wins(submitted_case, coordinator):
    other = make_user("coordinator", "toinen.koordinaattori")
    version = fresh(submitted_case).version
    approve(submitted_case, coordinator)
    with pytest.raises((services.StepNotAvailable, services.StaleCase)):
        services.case_decide(
            actor=other, case=submitted_case, decision="reject", comment="Myöhässä", version=version
        )
    assert fresh(submitted_case).status == Case.Status.APPROVED


def test_only_coordinators_decide(submitted_case, applicant, consultant):
    for user in (applicant, consultant):
        with pytest.raises(PermissionDenied):
            approve(submitted_case, user)
    assert fresh(submitted_case).status == Case.Status.SUBMITTED
    assert not AuditEvent.objects.filter(action="case_approved").exists()


def test_budget_of_the_call_is_respected(submitted_case, coordinator, open_call):
    open_call.day_budget = 1
    open_call.save()
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match="budget would be exceeded"),
    ):
        approve(submitted_case, coordinator, days=2)
    approve(submitted_case, coordinator, days=1)
    assert fresh(submitted_case).approved_days == 1


def test_decline_and_expiry_lead_to_the_next_consultant(
    submitted_case, coordinator, consultant, supplier
):
    second = make_consultant("veera.valmentaja", supplier)
    third = make_consultant("kolmas.konsultti", supplier)
    approve(submitted_case, coordinator)

    first_offer = offer_to(submitted_case, coordinator, consultant)
    assert open_tasks(submitted_case) == ["offer", "offer__timeout"]
    with pytest.raises(ValidationError):
        services.offer_answer(actor=consultant, offer=first_offer, accept=False, reason="")
    services.offer_answer(
        actor=consultant, offer=first_offer, accept=False, reason="Ei kapasiteettia."
    )
    assert fresh(submitted_case).status == Case.Status.APPROVED
    assert open_tasks(submitted_case) == ["call_off"]
    with pytest.raises(ValidationError):  # declined once: not offered again
        offer_to(submitted_case, coordinator, consultant)

    second_offer = offer_to(submitted_case, coordinator, second)
    assert expire_due_timers(submitted_case, SparringFlow.offer__timeout)["timers"] == 1
    second_offer.refresh_from_db()
    assert second_offer.status == Offer.Status.EXPIRED
    assert fresh(submitted_case).status == Case.Status.APPROVED
    assert open_tasks(submitted_case) == ["call_off"]
    with pytest.raises(services.StepNotAvailable):  # the expired offer cannot be accepted any more
        services.offer_answer(actor=second, offer=second_offer, accept=True)

    third_offer = offer_to(submitted_case, coordinator, third)
    services.offer_answer(actor=third, offer=third_offer, accept=True)
    case = fresh(submitted_case)
    assert case.status == Case.Status.SCHEDULING
    assert case.consultant == third.consultant
    assert open_tasks(case) == ["schedule"]


def test_an_unassigned_consultant_cannot_answer(submitted_case, coordinator, consultant, supplier):
    other = make_consultant("muu.konsultti", supplier)
    approve(submitted_case, coordinator)
    offer = offer_to(submitted_case, coordinator, consultant)
    with pytest.raises(PermissionDenied):
        services.offer_answer(actor=other, offer=offer, accept=True)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OFFERED


def walk_to_delivery(case, coordinator, consultant, applicant):
    approve(case, coordinator)
    offer = offer_to(case, coordinator, consultant)
    services.offer_answer(actor=consultant, offer=offer, accept=True)
    services.schedule_propose(
        actor=consultant, case=fresh(case), days=days_from_today(0), version=case.version
    )
    services.schedule_confirm(
        actor=applicant, case=fresh(case), accept=True, comment="", version=case.version
    )
    return fresh(case)


def test_dates_outside_the_period_or_in_the_past_are_refused(
    submitted_case, coordinator, consultant
):
    approve(submitted_case, coordinator)
    offer = offer_to(submitted_case, coordinator, consultant)
    services.offer_answer(actor=consultant, offer=offer, accept=True)
    case = fresh(submitted_case)
    for days in (days_from_today(-3), days_from_today(400), days_from_today(5, count=1)):
        with pytest.raises(ValidationError):
            services.schedule_propose(actor=consultant, case=case, days=days, version=case.version)
    assert open_tasks(case) == ["schedule"]


def test_applicant_asks_for_other_dates_then_confirms_with_an_invitation(
    submitted_case, coordinator, consultant, applicant
):
    approve(submitted_case, coordinator)
    offer = offer_to(submitted_case, coordinator, consultant)
    services.offer_answer(actor=consultant, offer=offer, accept=True)
    services.schedule_propose(
        actor=consultant,
        case=fresh(submitted_case),
        days=days_from_today(3),
        version=submitted_case.version,
    )
    services.schedule_confirm(
        actor=applicant,
        case=fresh(submitted_case),
        accept=False,
        comment="Viikkoa myöhemmin?",
        version=submitted_case.version,
    )
    assert open_tasks(submitted_case) == ["schedule"]
    services.schedule_propose(
        actor=consultant,
        case=fresh(submitted_case),
        days=days_from_today(10),
        version=submitted_case.version,
    )
    mail.outbox.clear()
    services.schedule_confirm(
        actor=applicant,
        case=fresh(submitted_case),
        accept=True,
        comment="",
        version=submitted_case.version,
    )

    case = fresh(submitted_case)
    assert case.status == Case.Status.DELIVERY
    assert case.days_planned.filter(status="confirmed").count() == 2
    assert case.days_planned.filter(status="cancelled").count() == 2
    invitations = [a for m in mail.outbox for a in m.attachments if a[0].endswith(".ics")]
    assert len(invitations) == 3  # applicant, contact person, consultant
    assert "BEGIN:VEVENT" in invitations[0][1] and invitations[0][1].count("BEGIN:VEVENT") == 2


def test_delivery_reschedule_report_feedback_close(
    submitted_case, coordinator, consultant, applicant
):
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    first, second = case.days_planned.filter(status="confirmed").order_by("date")
    with pytest.raises(ValidationError):  # the second day is tomorrow: not yet
        services.session_day_record(actor=consultant, day=second, participants=20)

    mail.outbox.clear()
    new_date = second.date + timedelta(days=7)
    services.session_day_reschedule(
        actor=consultant,
        day=second,
        data={
            "date": new_date,
            "start_time": second.start_time,
            # whatever weekday the suite runs on (tests/unit/cases/test_days_off.py checks the rule)
            "non_working_confirmed": True,
            "end_time": second.end_time,
            "place": "Verkossa",
        },
        reason="Sairastuminen",
    )
    second.refresh_from_db()
    assert second.date == new_date and second.sequence == 1
    ics = next(a[1] for m in mail.outbox for a in m.attachments if a[0].endswith(".ics"))
    assert "SEQUENCE:1" in ics

    services.session_day_record(actor=consultant, day=first, participants=22)
    assert fresh(case).status == Case.Status.DELIVERY
    SessionDay.objects.filter(pk=second.pk).update(date=timezone.localdate())  # the day has come
    second.refresh_from_db()
    services.session_day_record(actor=consultant, day=second, participants=18)
    case = fresh(case)
    assert case.status == Case.Status.REPORTING
    assert open_tasks(case) == ["report"]

    report = {
        "participants": 30,
        "refined_goal": "Työnjaon selkiyttäminen",
        "implementation": "Kaksi työpajaa",
        "themes_covered": "Kuormitus, työnjako",
        "results": "Yhteiset pelisäännöt",
        "follow_up": "Seurantapalaveri keväällä",
    }
    with pytest.raises(ValidationError, match="40"):
        report_services.report_submit(
            actor=consultant, case=case, data=report, version=case.version
        )
    report_services.report_submit(
        actor=consultant, case=case, data={**report, "participants": 40}, version=case.version
    )
    case = fresh(case)
    assert case.status == Case.Status.FEEDBACK
    assert open_tasks(case) == ["feedback"]

    expire_due_timers(case, SparringFlow.feedback)
    assert open_tasks(case) == ["close"]
    assert fresh(case).status == Case.Status.CLOSING
    services.case_close(actor=coordinator, case=fresh(case), comment="", version=case.version)
    case = fresh(case)
    assert case.status == Case.Status.CLOSED
    assert case.process.status == PROCESS.DONE
    actions = list(case.events.values_list("action", flat=True))
    assert actions == [
        "case_draft_saved",
        "case_submitted",
        "case_approved",
        "case_offered",
        "offer_accepted",
        "dates_proposed",
        "dates_confirmed",
        "day_rescheduled",
        "day_held",
        "day_held",
        "report_submitted",
        "report_pdf_made",
        "feedback_ended",
        "case_closed",
    ]


def test_withdrawal_cancels_open_tasks_days_and_offer(
    submitted_case, coordinator, consultant, applicant
):
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    mail.outbox.clear()
    with pytest.raises(ValidationError):
        services.case_withdraw(actor=applicant, case=case, reason="", version=case.version)
    services.case_withdraw(
        actor=applicant, case=case, reason="Organisaatiomuutos", version=case.version
    )
    case = fresh(case)
    assert case.status == Case.Status.WITHDRAWN
    assert case.process.status == PROCESS.CANCELED
    assert open_tasks(case) == []
    assert not case.days_planned.exclude(status="cancelled").exists()
    cancellations = [a[1] for m in mail.outbox for a in m.attachments if a[0].endswith(".ics")]
    assert cancellations and all("METHOD:CANCEL" in c for c in cancellations)


def test_coordinator_cancels_an_offered_case(submitted_case, coordinator, consultant):
    approve(submitted_case, coordinator)
    offer = offer_to(submitted_case, coordinator, consultant)
    services.case_cancel(
        actor=coordinator,
        case=fresh(submitted_case),
        reason="Päällekkäinen hakemus",
        version=submitted_case.version,
    )
    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    assert fresh(submitted_case).status == Case.Status.CANCELLED
    with pytest.raises(services.StepNotAvailable):
        services.offer_answer(actor=consultant, offer=offer, accept=True)


def test_review_reminder_fires_once_after_five_working_days(submitted_case, coordinator):
    task = Task.objects.get(
        process_id=submitted_case.process_id, flow_task=SparringFlow.review__timeout
    )
    waited = task.scheduled - fresh(submitted_case).submitted_at
    assert timedelta(days=5) <= waited <= timedelta(days=12)
    mail.outbox.clear()
    expire_due_timers(submitted_case, SparringFlow.review__timeout)
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert open_tasks(submitted_case) == ["review"]  # the reminder does not decide anything


def test_each_recipient_reads_the_message_in_their_own_language(applicant, open_call, coordinator):
    """A Swedish-speaking applicant gets Swedish; the Finnish contact person and coordinator Finnish."""
    applicant.language = "sv"
    applicant.save(update_fields=["language"])
    case = services.case_create(actor=applicant, call=open_call, data=_data())
    services.case_submit(actor=applicant, case=case, version=case.version)

    by_recipient = {m.to[0]: m for m in mail.outbox}
    reference = fresh(case).reference
    assert by_recipient[applicant.email].subject == f"Din ansökan {reference} har tagits emot"
    assert (
        by_recipient["anna.yhteys@example.invalid"].subject
        == f"Hakemuksesi {reference} on vastaanotettu"
    )
    assert reference in by_recipient[coordinator.email].subject
    assert "Tampereen kaupunki" in by_recipient[coordinator.email].body
    html = dict((m.to[0], m.alternatives[0][0]) for m in mail.outbox)[applicant.email]
    assert '<html lang="sv">' in html


def _data():
    from tests.conftest import application_data

    return application_data()


def test_report_reminder_fires_14_days_after_the_last_day(
    submitted_case, coordinator, consultant, applicant
):
    """The consultant is reminded of a missing report two weeks after the last day held."""
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    today = timezone.localdate()
    case.days_planned.update(date=today)
    for day in case.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)
    task = Task.objects.get(process_id=case.process_id, flow_task=SparringFlow.report__timeout)
    assert timezone.localtime(task.scheduled).date() == today + timedelta(days=14)

    mail.outbox.clear()
    expire_due_timers(case, SparringFlow.report__timeout)

    assert [m.to for m in mail.outbox] == [[consultant.email]]
    assert open_tasks(case) == ["report"]
    assert fresh(case).events.filter(action="report_reminder_sent").count() == 1


def test_an_offer_cannot_be_accepted_after_its_deadline(submitted_case, coordinator, consultant):
    approve(submitted_case, coordinator)
    offer = offer_to(submitted_case, coordinator, consultant)
    Offer.objects.filter(pk=offer.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    offer.refresh_from_db()
    with pytest.raises(services.CaseError):
        services.offer_answer(actor=consultant, offer=offer, accept=True)
    assert fresh(submitted_case).status == Case.Status.OFFERED


def test_coordinators_are_told_when_a_case_is_ready_to_close(
    submitted_case, coordinator, consultant, applicant
):
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    case.days_planned.update(date=timezone.localdate())
    for day in case.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)
    report = dict.fromkeys(report_services.REPORT_FIELDS, "Teksti") | {"participants": 20}
    report_services.report_submit(
        actor=consultant, case=fresh(case), data=report, version=fresh(case).version
    )
    mail.outbox.clear()
    expire_due_timers(case, SparringFlow.feedback)
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert fresh(case).reference in mail.outbox[0].subject


def test_the_applicant_cannot_withdraw_once_a_day_was_held(
    submitted_case, coordinator, consultant, applicant
):
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    first = case.days_planned.order_by("date").first()
    services.session_day_record(actor=consultant, day=first, participants=12)
    with pytest.raises(services.CaseError):
        services.case_withdraw(
            actor=applicant, case=fresh(case), reason="Muutos", version=fresh(case).version
        )
    assert fresh(case).status == Case.Status.DELIVERY
    services.case_cancel(
        actor=coordinator, case=fresh(case), reason="Muutos", version=fresh(case).version
    )
    assert fresh(case).status == Case.Status.CANCELLED
    # the day held still counts against the call's budget
    assert services.call_days_committed(case.call) == 1


def test_a_cancelled_day_can_be_replaced(submitted_case, coordinator, consultant, applicant):
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    _first, second = case.days_planned.order_by("date")
    services.session_day_cancel(actor=consultant, day=second, reason="Tila ei käytettävissä")
    new_day = {
        # whatever weekday the suite runs on (tests/unit/cases/test_days_off.py checks the rule)
        "non_working_confirmed": True,
        "date": timezone.localdate() + timedelta(days=20),
        "start_time": second.start_time,
        "end_time": second.end_time,
        "place": "Kirjasto",
    }
    mail.outbox.clear()
    services.session_day_add(actor=consultant, case=fresh(case), data=new_day)
    assert fresh(case).days_planned.filter(status="confirmed").count() == 2
    assert any(a[0].endswith(".ics") for m in mail.outbox for a in m.attachments)
    with pytest.raises(ValidationError):  # both approved days are planned again
        services.session_day_add(
            actor=consultant,
            case=fresh(case),
            data=new_day | {"date": new_day["date"] + timedelta(days=1)},
        )


def test_invitations_carry_the_time_zone_and_the_attendees(
    submitted_case, coordinator, consultant, applicant
):
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    from sparring.cases.calendar import invitation

    ics = invitation(case, list(case.days_planned.all())).replace("\r\n ", "")  # unfold lines
    assert "BEGIN:VTIMEZONE" in ics and "TZID:Europe/Helsinki" in ics
    assert f"mailto:{consultant.email}".lower() in ics.lower()
    assert f"mailto:{applicant.email}".lower() in ics.lower()


def test_unavailable_days_are_named_each_and_read_in_one_query(
    submitted_case, coordinator, consultant
):
    """Issue 17: the consultant's unavailable periods are read once for the whole
    proposal (it was a query per day); each unavailable day is still named."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from procurement.models import Unavailability

    approve(submitted_case, coordinator)
    offer = offer_to(submitted_case, coordinator, consultant)
    services.offer_answer(actor=consultant, offer=offer, accept=True)
    case = fresh(submitted_case)
    days = days_from_today(30, count=4)
    Unavailability.objects.create(
        consultant=consultant.consultant, starts=days[1]["date"], ends=days[2]["date"]
    )
    with (
        translation.override("en"),
        CaptureQueriesContext(connection) as queries,
        pytest.raises(ValidationError) as error,
    ):
        services.schedule_propose(actor=consultant, case=case, days=days, version=case.version)
    named = [m for m in error.value.messages if "unavailable" in m]
    assert named == [
        f"{d['date'].strftime('%-d.%-m.%Y')}: the consultant is unavailable then."
        for d in days[1:3]
    ]
    assert sum("procurement_unavailability" in q["sql"] for q in queries.captured_queries) == 1


def test_proposed_dates_respect_unavailability_and_monthly_capacity(
    submitted_case, coordinator, consultant, applicant
):
    from procurement.models import Consultant, Unavailability

    approve(submitted_case, coordinator)
    offer = offer_to(submitted_case, coordinator, consultant)
    services.offer_answer(actor=consultant, offer=offer, accept=True)
    case = fresh(submitted_case)
    days = days_from_today(30)
    Unavailability.objects.create(
        consultant=consultant.consultant, starts=days[0]["date"], ends=days[0]["date"]
    )
    with pytest.raises(ValidationError):
        services.schedule_propose(actor=consultant, case=case, days=days, version=case.version)
    Unavailability.objects.all().delete()
    Consultant.objects.filter(pk=consultant.consultant.pk).update(capacity_per_month=1)
    case.consultant.refresh_from_db()
    same_month = [
        d | {"date": days[0]["date"].replace(day=10) + timedelta(days=i)}
        for i, d in enumerate(days)
    ]
    with pytest.raises(ValidationError):
        services.schedule_propose(
            actor=consultant, case=case, days=same_month, version=case.version
        )
    assert not case.days_planned.exists()
