"""The case page's task box, "what happens next" (issue 16.6): per step, the right role
gets its task and what it needs — the return comment, the proposed dates, "record
today's day" (never a future day), the survey link and its printable sheet."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from sparring.cases import next_steps, services
from sparring.cases.steps import STEPS, Actor
from sparring.models import SessionDay
from tests.unit.cases.test_case_flow import (
    approve,
    days_from_today,
    fresh,
    offer_to,
    walk_to_delivery,
)

pytestmark = pytest.mark.django_db(transaction=True)


def page(client_for, user, case) -> str:
    response = client_for(user).get(reverse("sparring:case_detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def my_tasks(html: str) -> list[str]:
    return re.findall(r'data-task="([a-z_]+)"', html)


def test_every_step_someone_takes_says_what_they_do():
    for node, step in STEPS.items():
        if step.actor != Actor.SYSTEM:
            assert node in next_steps.YOUR_PART, node


def test_review_is_the_coordinators_task(
    submitted_case, applicant, coordinator, consultant, client_for
):
    assert my_tasks(page(client_for, coordinator, submitted_case)) == ["review"]
    # The others are told that nothing waits for them ("Now" says what is awaited).
    assert my_tasks(page(client_for, applicant, submitted_case)) == ["none"]


def test_the_return_comment_heads_the_applicants_page_and_the_edit_form(
    submitted_case, applicant, coordinator, client_for
):
    services.case_decide(
        actor=coordinator,
        case=fresh(submitted_case),
        decision="return",
        comment="Tarkenna kohderyhmää, kiitos.",
        version=submitted_case.version,
    )
    html = page(client_for, applicant, submitted_case)
    assert my_tasks(html) == ["amend"]
    box = html[html.index('id="next"') :]
    assert "Tarkenna kohderyhmää, kiitos." in box[: box.index("</section>")]
    # Above the actions and the application, not only at the bottom in the timeline.
    assert html.index("Tarkenna kohderyhmää") < html.index('id="application-heading"')
    edit = client_for(applicant).get(reverse("sparring:case_edit", args=[submitted_case.pk]))
    text = edit.content.decode()
    assert "Tarkenna kohderyhmää, kiitos." in text
    assert text.index("Tarkenna kohderyhmää") < text.index('<form class="stacked"')


def test_call_off_and_offer_go_to_the_coordinator_then_the_consultant(
    submitted_case, applicant, coordinator, consultant, client_for
):
    approve(submitted_case, coordinator)
    assert my_tasks(page(client_for, coordinator, submitted_case)) == ["call_off"]
    offer_to(submitted_case, coordinator, consultant)
    assert my_tasks(page(client_for, consultant, submitted_case)) == ["offer"]
    assert my_tasks(page(client_for, applicant, submitted_case)) == ["none"]
    assert my_tasks(page(client_for, coordinator, submitted_case)) == ["none"]


def test_the_confirm_box_shows_the_proposed_dates(
    submitted_case, applicant, coordinator, consultant, client_for
):
    approve(submitted_case, coordinator)
    offer = offer_to(submitted_case, coordinator, consultant)
    services.offer_answer(actor=consultant, offer=offer, accept=True)
    assert my_tasks(page(client_for, consultant, submitted_case)) == ["schedule"]
    services.schedule_propose(
        actor=consultant,
        case=fresh(submitted_case),
        days=days_from_today(3),
        version=fresh(submitted_case).version,
    )
    html = page(client_for, applicant, submitted_case)
    assert my_tasks(html) == ["confirm"]
    form = html[html.index("/do/confirm/") :]
    form = form[: form.index("</form>")]
    assert 'data-task-part="proposed-days"' in form
    for day in fresh(submitted_case).days_planned.filter(status=SessionDay.Status.PROPOSED):
        assert f"{day.date.day}.{day.date.month}.{day.date.year}" in form
    assert my_tasks(page(client_for, consultant, submitted_case)) == ["none"]


def test_the_consultant_records_todays_day_never_a_future_one(
    submitted_case, applicant, coordinator, consultant, client_for
):
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    today, _tomorrow = case.days_planned.filter(status="confirmed").order_by("date")
    html = page(client_for, consultant, case)
    assert my_tasks(html) == ["deliver"]
    held_forms = re.findall(r'action="/days/(\d+)/held/"', html)
    assert len(held_forms) == 1
    # Today's day: in the task box (the days table no longer records); tomorrow's nowhere.
    assert set(held_forms) == {str(today.pk)}
    assert 'data-task-part="record"' in html
    assert f'id="participants-{today.pk}"' in html
    # Recording works from the task box.
    response = client_for(consultant).post(
        reverse("sparring:day_held", args=[today.pk]), {"participants": "12"}
    )
    assert response.status_code == 302
    html = page(client_for, consultant, case)
    assert 'data-task-part="next-day"' in html
    assert re.findall(r'action="/days/(\d+)/held/"', html) == []
    # The applicant and the coordinator have no recording task.
    for other in (applicant, coordinator):
        html = page(client_for, other, case)
        assert 'data-task-part="record"' not in html and my_tasks(html) == ["none"]


def test_after_the_report_the_applicant_shares_the_survey(
    reported_case, applicant, coordinator, consultant, client_for
):
    case = reported_case
    share_url = reverse("sparring:survey_start")  # no shared link: one-time codes (issue 13)
    html = page(client_for, applicant, case)
    assert "feedback" in my_tasks(html)
    box = html[html.index('data-task-part="survey"') :]
    box = box[: box.index("</div>")]
    assert share_url in box
    assert f"/cases/{case.pk}/#survey-heading" in box  # where codes are mailed or printed
    assert 'data-task-part="survey"' not in page(client_for, consultant, case)


def test_the_report_filed_email_carries_the_survey_link(
    submitted_case, applicant, coordinator, consultant
):
    from django.utils import timezone

    from sparring.reports import services as report_services
    from tests.conftest import REPORT

    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    case.days_planned.update(date=timezone.localdate())
    for day in case.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)
    mail.outbox.clear()
    report_services.report_submit(
        actor=consultant, case=fresh(case), data=REPORT, version=fresh(case).version
    )
    case = fresh(case)
    link = reverse("sparring:survey_start")
    by_address = {m.to[0]: m for m in mail.outbox}
    to_applicant = by_address[applicant.email]
    assert link in to_applicant.body and "palautekysely" in to_applicant.subject.lower()
    assert link in by_address["anna.yhteys@example.invalid"].body
    assert link not in by_address[coordinator.email].body


def test_report_then_close_are_the_consultants_then_the_coordinators(
    submitted_case, applicant, coordinator, consultant, client_for
):
    from django.utils import timezone

    from sparring.reports import services as report_services
    from tests.conftest import REPORT
    from tests.unit.cases.test_case_flow import expire_due_timers
    from workflow.flows import SparringFlow

    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    case.days_planned.update(date=timezone.localdate())
    for day in case.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)
    assert my_tasks(page(client_for, consultant, case)) == ["report"]
    assert my_tasks(page(client_for, applicant, case)) == ["none"]
    report_services.report_submit(
        actor=consultant, case=fresh(case), data=REPORT, version=fresh(case).version
    )
    assert my_tasks(page(client_for, applicant, case)) == ["feedback"]
    assert my_tasks(page(client_for, consultant, case)) == ["none"]
    expire_due_timers(case, SparringFlow.feedback)
    assert my_tasks(page(client_for, coordinator, case)) == ["close"]
    html = page(client_for, applicant, case)
    assert my_tasks(html) == ["none"] and 'data-task-part="survey"' not in html
