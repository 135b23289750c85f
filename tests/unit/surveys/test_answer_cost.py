"""What one survey answer costs (issue 17: answers per second under load) and what it still does."""

import uuid

import pytest

from sparring.models import Case
from sparring.surveys import services as surveys
from sparring.surveys.models import SurveyAnswer

pytestmark = pytest.mark.django_db

GOOD = {"overall": "5", "goal_reached": "4", "facilitation": "5", "usefulness": "4", "best": "Hyvä"}


@pytest.fixture
def codes(submitted_case, applicant):
    """Three printed codes of an open survey (the case put in its feedback period directly)."""
    Case.objects.filter(pk=submitted_case.pk).update(status=Case.Status.FEEDBACK)
    surveys.survey_open(case=submitted_case)
    return surveys.survey_issue_codes(actor=applicant, case=submitted_case, count=3)


def answer(client, code, **changes):
    return client.post(
        "/survey/",
        {**GOOD, "code": code, "step": "answer", "submission_token": str(uuid.uuid4()), **changes},
    )


def test_an_answer_takes_seven_queries(codes, client, django_assert_max_num_queries):
    answer(client, codes[0])  # the first request of the process loads what it caches
    # the code and its survey, the form's token, then one transaction: the token, the
    # code used up, the answer (BEGIN and COMMIT, or a savepoint in tests, count)
    with django_assert_max_num_queries(7):
        response = answer(client, codes[1])
    assert response.status_code == 200 and response.context["thanks"]
    assert SurveyAnswer.objects.count() == 2


def test_a_form_sent_again_is_thanked_even_if_it_no_longer_validates(codes, client):
    token = str(uuid.uuid4())
    assert answer(client, codes[0], submission_token=token).status_code == 200
    again = answer(client, codes[0], submission_token=token, overall="")
    assert again.status_code == 200 and again.context["thanks"]
    assert SurveyAnswer.objects.count() == 1


def test_an_out_of_range_grade_is_refused_by_the_service(codes):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        surveys.survey_answer(code=codes[0], data={**GOOD, "overall": 7}, client="x")
    assert SurveyAnswer.objects.count() == 0
    surveys.survey_answer(code=codes[0], data={**GOOD, "overall": 5}, client="x")  # still usable
