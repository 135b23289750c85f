"""The anonymous feedback survey: one-time codes (mailed or printed), one answer each."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from sparring.surveys import services as surveys
from sparring.surveys.models import Survey, SurveyAnswer, SurveyCode, SurveyLink, code_hash
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
URL = "/survey/"


def sheet(case, actor, count=1) -> list[str]:
    return surveys.survey_issue_codes(actor=actor, case=case, count=count)


def answer(client, code, **changes):
    """Post an answer with ``code`` as the answer form does (the code in the body)."""
    return client.post(URL, {**GOOD, **changes, "code": code, "step": "answer"})


def test_the_survey_opens_with_the_report_and_closes_on_the_timer(reported_case, applicant, client):
    (code,) = sheet(reported_case, applicant)
    assert client.get(URL).status_code == 200
    checked = client.post(URL, {"code": code})
    assert checked.status_code == 200 and 'name="overall"' in checked.content.decode()

    expire_due_timers(reported_case, SparringFlow.feedback)

    assert Survey.objects.get(case=reported_case).closed
    assert answer(client, code).status_code == 410
    assert SurveyAnswer.objects.count() == 0


def test_a_code_takes_one_answer(reported_case, applicant, client):
    (code,) = sheet(reported_case, applicant)
    assert answer(client, code).status_code == 200
    again = answer(client, code.lower().replace("-", ""))  # however it is typed
    assert again.status_code == 409
    assert SurveyAnswer.objects.count() == 1


def test_the_same_form_sent_twice_is_one_answer_thanked_twice(reported_case, applicant, client):
    (code,) = sheet(reported_case, applicant)
    token = str(uuid.uuid4())
    assert answer(client, code, submission_token=token).status_code == 200
    again = answer(client, code, submission_token=token)
    assert again.status_code == 200 and again.context["thanks"]
    assert SurveyAnswer.objects.count() == 1


def test_personal_codes_by_e_mail_and_reminders_to_the_others_once_a_day(
    reported_case, applicant, coordinator, client, client_for
):
    mail.outbox.clear()
    surveys.survey_add_participants(
        actor=applicant,
        case=reported_case,
        emails="a@example.invalid, b@example.invalid\nc@example.invalid",
    )
    assert len(mail.outbox) == 3
    message = next(m for m in mail.outbox if m.to == ["a@example.invalid"])
    code = message.body.split("/survey/#code=")[1].split()[0]
    assert message.body.count(code) == 2  # in the link's fragment, and written out
    first_b = next(m for m in mail.outbox if m.to == ["b@example.invalid"])
    first_b = first_b.body.split("#code=")[1].split()[0]
    assert answer(client, code).status_code == 200
    assert SurveyAnswer.objects.count() == 1

    mail.outbox.clear()
    response = client_for(coordinator).post(
        f"/cases/{reported_case.pk}/survey/remind/", follow=True
    )
    assert sorted(m.to[0] for m in mail.outbox) == ["b@example.invalid", "c@example.invalid"]
    page = response.content.decode()
    assert "a@example.invalid" not in page and "b@example.invalid" not in page
    # a new code in the reminder; the first one works too, once
    assert SurveyLink.objects.get(email="b@example.invalid").codes.count() == 2
    assert answer(client, first_b).status_code == 200

    mail.outbox.clear()
    for _ in range(3):  # pressing again the same day sends nothing
        client_for(applicant).post(f"/cases/{reported_case.pk}/survey/remind/")
    with pytest.raises(surveys.RemindedRecently):
        surveys.survey_remind(actor=coordinator, case=reported_case)
    assert mail.outbox == []
    Survey.objects.filter(case=reported_case).update(
        reminded_at=timezone.now() - timedelta(hours=25)
    )
    assert surveys.survey_remind(actor=coordinator, case=reported_case) == 1  # c only


def test_nothing_links_an_answer_to_a_person_or_a_code(reported_case, applicant, client):
    mail.outbox.clear()
    surveys.survey_add_participants(actor=applicant, case=reported_case, emails="a@example.invalid")
    code = mail.outbox[0].body.split("#code=")[1].split()[0]
    answer(client, code)

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
    assert isinstance(row["id"], uuid.UUID)  # a random key: the order of answers is not kept
    stored = " ".join(str(v) for v in row.values())
    assert code not in stored and "a@example.invalid" not in stored
    assert not any(f.is_relation and f.name != "survey" for f in SurveyAnswer._meta.get_fields())
    # the code itself is stored nowhere, only its hash
    assert list(SurveyCode.objects.values_list("code_hash", flat=True)) == [code_hash(code)]
    assert not any(code in str(v) for v in SurveyLink.objects.values().get().values())


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
def test_bad_answers_are_refused_and_the_code_still_works(bad, reported_case, applicant, client):
    (code,) = sheet(reported_case, applicant)
    response = answer(client, code, **bad)
    assert response.status_code == 400
    assert SurveyAnswer.objects.count() == 0
    assert answer(client, code).status_code == 200


def test_a_wrong_code_says_so_and_keeps_the_answer(reported_case, client):
    response = client.post(URL, {"code": "AAAA-BBBB-CCCC"})
    assert response.status_code == 400 and "ABCD-EFGH-JKLM" in response.content.decode()
    kept = answer(client, "AAAA-BBBB-CCCC", best="Pitkä vastaus")
    assert kept.status_code == 400 and "Pitkä vastaus" in kept.content.decode()
    # a wrong code and an invalid answer at once: the typed text is kept too
    both = answer(client, "AAAA-BBBB-CCCC", overall="", best="Toinen vastaus")
    assert both.status_code == 400 and "Toinen vastaus" in both.content.decode()
    assert SurveyAnswer.objects.count() == 0


def test_an_old_link_with_its_token_in_the_path_fills_in_the_code(reported_case, client):
    page = client.get("/survey/some-old-token/")
    assert page.status_code == 200 and 'value="some-old-token"' in page.content.decode()


def test_only_the_cases_applicant_or_a_coordinator_sends_links_or_prints_codes(
    reported_case, consultant, other_applicant, client_for
):
    url = f"/cases/{reported_case.pk}/survey/participants/"
    assert client_for(other_applicant).post(url, {"emails": "x@example.invalid"}).status_code == 404
    assert client_for(consultant).post(url, {"emails": "x@example.invalid"}).status_code == 403
    codes = f"/cases/{reported_case.pk}/survey/codes/"
    assert client_for(consultant).post(codes, {"count": 3}).status_code == 403
    assert SurveyLink.objects.count() == 0


def test_the_printed_sheet_shows_its_codes_once(reported_case, applicant, client_for):
    response = client_for(applicant).post(f"/cases/{reported_case.pk}/survey/codes/", {"count": 3})
    assert response.status_code == 200 and len(response.context["codes"]) == 3
    assert "no-store" in response["Cache-Control"]
    for code in response.context["codes"]:
        assert code in response.content.decode()
    assert SurveyCode.objects.count() == 3
    too_many = client_for(applicant).post(
        f"/cases/{reported_case.pk}/survey/codes/", {"count": 151}
    )
    assert too_many.status_code == 302 and SurveyCode.objects.count() == 3


def test_an_invalid_address_sends_nothing(reported_case, applicant):
    with pytest.raises(
        Exception, match=r"not an e-mail|ei ole sähköpostiosoite|inte en e-postadress"
    ):
        surveys.survey_add_participants(
            actor=applicant, case=reported_case, emails="a@example.invalid, nonsense"
        )
    assert SurveyLink.objects.count() == 0


def test_a_survey_past_its_closing_time_takes_no_answers(reported_case, applicant):
    (code,) = sheet(reported_case, applicant)
    Survey.objects.filter(case=reported_case).update(
        closes_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(surveys.SurveyClosed):
        surveys.survey_answer(code=code, data={"overall": 5}, client="x")
    assert fresh(reported_case).survey.answers.count() == 0


def test_one_bad_address_keeps_the_list_as_typed_and_sends_nothing(
    reported_case, applicant, client_for
):
    """A stranger's finding: the list of addresses was lost on one typo."""
    from django.core import mail

    mail.outbox.clear()
    typed = "b1@example.invalid\nhuono osoite\nb2@example.invalid"
    response = client_for(applicant).post(
        f"/cases/{reported_case.pk}/survey/participants/", {"emails": typed}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "b1@example.invalid" in page and "huono osoite" in page and "b2@example.invalid" in page
    assert "form-error-summary" in page
    assert not reported_case.survey.links.exists() and not mail.outbox
