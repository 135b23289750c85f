"""The follow-up impact survey: sent months after closing, answered once per link,
reminded once, closed; its figures in the statistics under the five-answer rule."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from sparring import clock
from sparring.cases import services
from sparring.cases.states import CaseStatus
from sparring.models import Case, OutboundEmail
from sparring.outcomes import followup
from sparring.outcomes.models import FollowUp, FollowUpAnswer, FollowUpInvitation
from sparring.reports.models import Report
from sparring.statistics import impact
from sparring.statistics.figures import Scope
from tests.unit.cases.test_case_flow import expire_due_timers, fresh
from workflow.flows import SparringFlow

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"/follow-up/([\w-]+)/")
FOLLOW_UP = "- Seurantapalaveri keväällä\n2. Pelisääntöjen tarkistus tiimeissä\n\n"


def links_in_outbox(to: str) -> list[str]:
    """The follow-up links in the messages delivered to ``to``, oldest first (read from
    what was sent: the outbox keeps no links after delivery)."""
    bodies = [m.body for m in mail.outbox if to in m.to]
    tokens = []
    for body in bodies:
        tokens += [t for t in LINK.findall(body) if t not in tokens]
    return tokens


def closed_through_the_flow(reported_case, coordinator):
    Report.objects.filter(case=reported_case).update(follow_up=FOLLOW_UP)
    expire_due_timers(reported_case, SparringFlow.feedback)
    case = fresh(reported_case)
    services.case_close(actor=coordinator, case=case, comment="", version=case.version)
    case = fresh(case)
    assert case.status == CaseStatus.CLOSED
    return case


def answer(client: Client, token: str, *, impact_grade: int, done=("yes", "partly"), yes=True):
    data = {"impact": impact_grade, "recommend": "yes" if yes else "no", "what_changed": "x"}
    data |= {f"action_{i}": value for i, value in enumerate(done)}
    return client.post(reverse("sparring:follow_up_answer", args=[token]), data)


def test_a_closed_case_gets_its_follow_up_after_four_months_and_the_figures_move(
    reported_case, coordinator, applicant
):
    case = closed_through_the_flow(reported_case, coordinator)
    mail.outbox.clear()
    assert followup.follow_up_sweep().total() == 0  # not yet
    with clock.travel(followup.add_months(case.closed_at, 4) + timedelta(hours=1)):
        assert followup.follow_up_sweep().sent == 1
        assert followup.follow_up_sweep().total() == 0  # sent once
    follow_up = FollowUp.objects.get(case=case)
    assert follow_up.actions == ["Seurantapalaveri keväällä", "Pelisääntöjen tarkistus tiimeissä"]
    assert follow_up.invitations.count() == 2
    tokens = links_in_outbox(case.contact_email)
    assert len(tokens) == 2
    body = next(m.body for m in mail.outbox if case.contact_email in m.to)
    assert case.staff_representative in body  # the second link is to hand on
    assert not FollowUpInvitation.objects.filter(token_digest__in=tokens).exists()  # digests only
    assert "follow_up_sent" in case.events.values_list("action", flat=True)

    client = Client()
    page = client.get(reverse("sparring:follow_up_answer", args=[tokens[0]]))
    assert page.status_code == 200
    assert "Pelisääntöjen tarkistus tiimeissä" in page.content.decode()
    # nothing chosen: clear errors, nothing saved
    assert (
        client.post(reverse("sparring:follow_up_answer", args=[tokens[0]]), {}).status_code == 400
    )
    assert not FollowUpAnswer.objects.exists()
    response = answer(client, tokens[0], impact_grade=4)
    assert response.status_code == 302 and response.url == reverse("sparring:follow_up_thanks")
    assert answer(client, tokens[0], impact_grade=1).status_code == 410  # the link is used up
    assert FollowUpAnswer.objects.get().impact == 4

    figures = impact.follow_up_figures(Scope())
    assert (figures["sent"], figures["answers"], figures["response_rate"]) == (2, 1, 50.0)
    assert figures["average_impact"] is None  # one answer: no average
    assert figures["actions_carried_out_share"] is None

    # four more cases like it, answered: five answers, the figures appear, exactly
    grades = [4, 5, 3, 5, 2]
    for n, grade in enumerate(grades[1:], start=1):
        other = clone_closed(case, n)
        with clock.travel(followup.add_months(other.closed_at, 4) + timedelta(hours=1)):
            followup.follow_up_sweep()
        token = links_in_outbox(other.contact_email)[0]
        answer(client, token, impact_grade=grade, done=("yes", "no"), yes=grade >= 3)
    figures = impact.follow_up_figures(Scope())
    assert figures["answers"] == 5 and figures["sent"] == 10
    assert figures["response_rate"] == 50.0
    assert figures["average_impact"] == 3.8  # (4 + 5 + 3 + 5 + 2) / 5
    assert figures["actions_carried_out_share"] == 50.0  # 5 of 10 rated actions "yes"
    assert figures["actions_partly_share"] == 10.0
    assert figures["recommend_share"] == 80.0
    assert figures["impact_by_theme"] == [
        {"name": case.theme.name_fi, "answers": 5, "average": 3.8}
    ]

    # the statistics page, its CSV and the API show them
    staff = Client()
    staff.force_login(coordinator)
    page = staff.get(reverse("sparring:statistics")).content.decode()
    assert 'data-figure="follow_up_impact"><span class="value">3,8' in page
    csv = staff.get(reverse("sparring:statistics"), {"format": "csv"}).content.decode("utf-8-sig")
    assert "Follow-up survey" in csv or "Seurantakysely" in csv
    assert Client().get(reverse("api:impact_figures")).status_code in (401, 403)
    api = staff.get(reverse("api:impact_figures")).json()
    assert api["follow_up"]["average_impact"] == 3.8


def clone_closed(case: Case, n: int) -> Case:
    """Another closed case of the same kind, with its own contact and report."""
    report = case.report
    other = Case.objects.get(pk=case.pk)
    other.pk = other.process_id = None
    other.reference = f"CLONE-{n}"
    other.submission_token = None
    other.contact_email = f"contact{n}@example.invalid"
    other.save()
    report.pk = None
    report.case = other
    report.save()
    return other


def test_one_reminder_with_fresh_links_then_the_survey_closes(reported_case, coordinator):
    case = closed_through_the_flow(reported_case, coordinator)
    start = followup.add_months(case.closed_at, 4) + timedelta(hours=1)
    with clock.travel(start):
        followup.follow_up_sweep()
    first = links_in_outbox(case.contact_email)
    with clock.travel(start):
        assert answer(Client(), first[0], impact_grade=5).status_code == 302
    with clock.travel(start + timedelta(days=13)):
        assert followup.follow_up_sweep().reminded == 0
    with clock.travel(start + timedelta(days=14, hours=1)):
        result = followup.follow_up_sweep()
        assert result.reminded == 1
        assert followup.follow_up_sweep().reminded == 0  # once
        tokens = links_in_outbox(case.contact_email)
        fresh_links = [t for t in tokens if t not in first]
        assert len(fresh_links) == 1  # only the unanswered link again
        # the earlier link still works beside the reminder's
        assert (
            Client().get(reverse("sparring:follow_up_answer", args=[first[1]])).status_code == 200
        )
        assert (
            Client().get(reverse("sparring:follow_up_answer", args=[fresh_links[0]])).status_code
            == 200
        )
    with clock.travel(start + timedelta(days=28, hours=1)):
        assert followup.follow_up_sweep().closed == 1
        assert followup.follow_up_sweep().total() == 0
        response = Client().get(reverse("sparring:follow_up_answer", args=[fresh_links[0]]))
        assert response.status_code == 410
    actions = list(case.events.values_list("action", flat=True))
    for action in (
        "follow_up_sent",
        "follow_up_answered",
        "follow_up_reminded",
        "follow_up_closed",
    ):
        assert actions.count(action) == 1, action


def test_a_case_closed_long_before_gets_no_follow_up(submitted_case):
    long_ago = clock.now() - timedelta(days=400)
    Case.objects.filter(pk=submitted_case.pk).update(status=CaseStatus.CLOSED, closed_at=long_ago)
    assert followup.follow_up_sweep().sent == 0
    assert not FollowUp.objects.exists()


def test_the_follow_up_is_in_the_cases_language(reported_case, coordinator):
    case = closed_through_the_flow(reported_case, coordinator)
    Case.objects.filter(pk=case.pk).update(language="sv")
    with clock.travel(followup.add_months(case.closed_at, 4) + timedelta(hours=1)):
        followup.follow_up_sweep()
        token = links_in_outbox(case.contact_email)[0]
        page = Client().get(reverse("sparring:follow_up_answer", args=[token]))
    assert '<html lang="sv">' in page.content.decode()
    subject = OutboundEmail.objects.filter(to=case.contact_email).latest("pk").subject
    assert "sparrningen" in subject.lower(), subject


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 1, 31, 12, tzinfo=UTC), 1, datetime(2026, 2, 28, 12, tzinfo=UTC)),
        (datetime(2028, 1, 31, 12, tzinfo=UTC), 1, datetime(2028, 2, 29, 12, tzinfo=UTC)),
        (datetime(2026, 10, 25, 1, tzinfo=UTC), 4, datetime(2027, 2, 25, 1, tzinfo=UTC)),
        (datetime(2026, 11, 30, 8, tzinfo=UTC), -4, datetime(2026, 7, 30, 8, tzinfo=UTC)),
        (datetime(2026, 3, 31, 8, tzinfo=UTC), -1, datetime(2026, 2, 28, 8, tzinfo=UTC)),
    ],
)
def test_months_are_calendar_months(moment, months, expected):
    assert followup.add_months(moment, months) == expected


def test_follow_up_actions_are_the_reports_lines():
    assert followup.follow_up_actions(" • Yksi\n\n2. Kaksi\n- Kolme \n* Neljä") == [
        "Yksi",
        "Kaksi",
        "Kolme",
        "Neljä",
    ]
    assert followup.follow_up_actions("") == []
    assert len(followup.follow_up_actions("\n".join(["x"] * 30))) == 10


@pytest.mark.parametrize("token", ["x", "a" * 300, "../../etc", "%00"])
def test_a_bad_link_is_a_clear_page(db, token):
    response = Client().get(f"/follow-up/{token}/")
    assert response.status_code in (404, 410)


def test_the_case_page_shows_the_answers_to_those_who_may_see_the_case(
    reported_case, coordinator, consultant, applicant, other_applicant, client_for
):
    case = closed_through_the_flow(reported_case, coordinator)
    with clock.travel(followup.add_months(case.closed_at, 4) + timedelta(hours=1)):
        followup.follow_up_sweep()
        token = links_in_outbox(case.contact_email)[0]
        answer(Client(), token, impact_grade=4)
    url = reverse("sparring:case_detail", args=[case.pk])
    for user in (coordinator, consultant, applicant):
        page = client_for(user).get(url).content.decode()
        assert "Pelisääntöjen tarkistus tiimeissä" in page, user
    assert client_for(other_applicant).get(url).status_code == 404


def test_the_demo_sends_the_follow_up_when_the_case_is_moved_past_its_date(
    reported_case, coordinator, settings, capsys
):
    from django.core.management import call_command

    settings.DEBUG = True
    case = closed_through_the_flow(reported_case, coordinator)
    call_command("demo_advance", case.reference, "--days", "125")
    assert "1 follow-up surveys moved" in capsys.readouterr().out
    assert FollowUp.objects.filter(case=case).exists()
    assert len(links_in_outbox(case.contact_email)) == 2


def test_retention_removes_follow_up_links_when_closed_and_texts_with_the_case(
    reported_case, coordinator
):
    from sparring.retention import apply_retention

    case = closed_through_the_flow(reported_case, coordinator)
    start = followup.add_months(case.closed_at, 4) + timedelta(hours=1)
    with clock.travel(start):
        followup.follow_up_sweep()
        answer(Client(), links_in_outbox(case.contact_email)[0], impact_grade=4)
    with clock.travel(start + timedelta(days=29)):
        followup.follow_up_sweep()  # closes it
        assert apply_retention().follow_up_links_deleted == 2
    assert not FollowUpInvitation.objects.exists()
    assert FollowUpAnswer.objects.get().what_changed == "x"  # kept while the case is
    with clock.travel(start + timedelta(days=11 * 366)):
        assert apply_retention().follow_up_texts_blanked == 1
        assert apply_retention().follow_up_texts_blanked == 0
    answer_row = FollowUpAnswer.objects.get()
    assert answer_row.what_changed == "" and answer_row.impact == 4  # the figure stays
