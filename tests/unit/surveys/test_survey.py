"""The anonymous feedback survey: two ways in, one answer each, grades shown by the rules."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from sparring.surveys import services as surveys
from sparring.surveys.models import Survey, SurveyAnswer, SurveyLink
from tests.unit.cases.test_case_flow import expire_due_timers, fresh
from workflow.flows import SparringFlow

pytestmark = pytest.mark.django_db(transaction=True)

GOOD = {
    "overall": "5",
    "goal_reached": "4",
    "facilitation": "5",
    "usefulness": "4",
    "best": "Hyvä",
    "improve": "",
}


def answer_url(token):
    return f"/survey/{token}/"


def test_the_survey_opens_with_the_report_and_closes_on_the_timer(reported_case, client):
    survey = Survey.objects.get(case=reported_case)
    assert survey.is_open()
    assert client.get(answer_url(survey.token)).status_code == 200

    expire_due_timers(reported_case, SparringFlow.feedback)

    survey.refresh_from_db()
    assert survey.closed
    response = client.post(answer_url(survey.token), GOOD)
    assert response.status_code == 410
    assert SurveyAnswer.objects.count() == 0


def test_the_shared_link_takes_one_answer_per_browser(reported_case, client):
    token = reported_case.survey.token
    first = client.post(answer_url(token), GOOD)
    assert first.status_code == 200 and "sparring_survey_" in "".join(first.cookies)
    again = client.post(answer_url(token), GOOD)
    assert again.status_code in (200, 409)
    assert SurveyAnswer.objects.count() == 1


def test_a_personal_link_takes_one_answer_and_reminders_go_to_the_others(
    reported_case, applicant, client_for, client
):
    mail.outbox.clear()
    surveys.survey_add_participants(
        actor=applicant,
        case=reported_case,
        emails="a@example.invalid, b@example.invalid\nc@example.invalid",
    )
    assert len(mail.outbox) == 3
    link = SurveyLink.objects.get(email="a@example.invalid")
    assert any(link.token in m.body and m.to == [link.email] for m in mail.outbox)

    assert client.post(answer_url(link.token), GOOD).status_code == 200
    used = client.post(answer_url(link.token), GOOD)
    assert SurveyAnswer.objects.count() == 1
    assert used.status_code == 200  # the page says the link has been used

    mail.outbox.clear()
    assert surveys.survey_remind(actor=applicant, case=reported_case) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["b@example.invalid", "c@example.invalid"]


def test_nothing_links_an_answer_to_a_person_or_a_token(reported_case, applicant, client):
    surveys.survey_add_participants(actor=applicant, case=reported_case, emails="a@example.invalid")
    link = SurveyLink.objects.get()
    client.post(answer_url(link.token), GOOD)

    fields = {f.name for f in SurveyAnswer._meta.get_fields()}
    assert fields == {
        "id",
        "survey",
        "overall",
        "goal_reached",
        "facilitation",
        "usefulness",
        "best",
        "improve",
    }
    row = SurveyAnswer.objects.values().get()
    stored = " ".join(str(v) for v in row.values())
    assert link.token not in stored and "a@example.invalid" not in stored
    assert not any(f.is_relation and f.name != "survey" for f in SurveyAnswer._meta.get_fields())


@pytest.mark.parametrize(
    "bad",
    [
        {"overall": "7"},
        {"overall": ""},
        {"overall": "abc"},
        {"usefulness": "0"},
        {"best": "x" * 2001},
    ],
)
def test_bad_answers_are_refused_and_nothing_is_stored(bad, reported_case, client):
    response = client.post(answer_url(reported_case.survey.token), {**GOOD, **bad})
    assert response.status_code == 400
    assert SurveyAnswer.objects.count() == 0


def test_a_tampered_link_says_so(db, client):
    response = client.get(answer_url("not-a-real-token"))
    assert response.status_code == 404
    assert (
        "link" in response.content.decode().lower() or "linkki" in response.content.decode().lower()
    )


def test_the_shared_link_is_rate_limited(reported_case, monkeypatch):
    monkeypatch.setattr(surveys, "PUBLIC_ANSWERS_PER_HOUR", 2)
    data = {k: (int(v) if v.isdigit() else v) for k, v in GOOD.items()}
    for _ in range(2):
        surveys.survey_answer(
            token=reported_case.survey.token, data=data, client="10.9.8.7", already_in_browser=False
        )
    with pytest.raises(surveys.TooManyAnswers):
        surveys.survey_answer(
            token=reported_case.survey.token, data=data, client="10.9.8.7", already_in_browser=False
        )
    assert SurveyAnswer.objects.count() == 2


def test_grades_are_shown_once_the_survey_has_closed_with_five_answers(
    reported_case, applicant, consultant, coordinator, client_for
):
    """The disclosure rule (issue 13): coordinators too see no grade of an open survey."""
    survey = reported_case.survey
    for grade in (5, 4, 5, 4, 5):
        SurveyAnswer.objects.create(survey=survey, overall=grade)
    for user in (applicant, consultant, coordinator):
        assert surveys.survey_results(user=user, case=reported_case).overall is None
    page = client_for(applicant).get(f"/cases/{reported_case.pk}/").content.decode()
    assert "4,6" not in page

    Survey.objects.filter(pk=survey.pk).update(closed=True)
    for user in (applicant, consultant, coordinator):
        results = surveys.survey_results(user=user, case=reported_case)
        assert results.overall == pytest.approx(4.6) and results.answers == 5
        assert results.response_rate == 5 / 20
        assert results.programme_overall == pytest.approx(4.6)


def test_only_the_cases_applicant_or_a_coordinator_sends_links(
    reported_case, consultant, other_applicant, client_for
):
    url = f"/cases/{reported_case.pk}/survey/participants/"
    assert client_for(other_applicant).post(url, {"emails": "x@example.invalid"}).status_code == 404
    assert client_for(consultant).post(url, {"emails": "x@example.invalid"}).status_code == 403
    assert SurveyLink.objects.count() == 0


def test_an_invalid_address_sends_nothing(reported_case, applicant):
    with pytest.raises(
        Exception, match=r"not an e-mail|ei ole sähköpostiosoite|inte en e-postadress"
    ):
        surveys.survey_add_participants(
            actor=applicant, case=reported_case, emails="a@example.invalid, nonsense"
        )
    assert SurveyLink.objects.count() == 0


def test_a_survey_past_its_closing_time_takes_no_answers(reported_case):
    Survey.objects.filter(case=reported_case).update(
        closes_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(surveys.SurveyClosed):
        surveys.survey_answer(
            token=fresh(reported_case).survey.token,
            data={"overall": 5},
            client="x",
            already_in_browser=False,
        )
