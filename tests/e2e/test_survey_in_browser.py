"""A participant answers the survey in the browser; the applicant shares the link and sends personal ones."""

import pytest
from django.core import mail

from sparring.surveys.models import SurveyAnswer, SurveyLink
from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_participants_answer_through_both_kinds_of_link(
    page, browser, live_server, reported_case, applicant
):
    # the applicant finds the shared link on the case page and sends personal links
    login(page, applicant.username, PASSWORD)
    page.wait_for_url("**/applicant/")
    page.goto(f"/cases/{reported_case.pk}/")
    assert_accessible(page)
    shared = page.locator(f"a[href='/survey/{reported_case.survey.token}/']")
    assert shared.is_visible()
    page.fill("[name=emails]", "osallistuja1@example.invalid\nosallistuja2@example.invalid")
    page.locator(f"form[action='/cases/{reported_case.pk}/survey/participants/'] button").click()
    page.wait_for_load_state()
    assert SurveyLink.objects.count() == 2
    personal = SurveyLink.objects.get(email="osallistuja1@example.invalid")
    assert any(personal.token in m.body for m in mail.outbox)

    # a participant, not logged in, answers through the shared link
    anonymous = browser.new_context(base_url=live_server.url, locale="fi-FI").new_page()
    anonymous.goto(f"/survey/{reported_case.survey.token}/")
    assert_accessible(anonymous)
    # nothing chosen: the overall grade is required
    anonymous.locator("form.survey button[type=submit]").click()
    assert anonymous.locator(".form-error-summary").is_visible()
    assert_accessible(anonymous)
    anonymous.check("[name=overall][value='5']")
    anonymous.check("[name=facilitation][value='4']")
    anonymous.fill("[name=best]", "Yhteinen keskustelu")
    anonymous.locator("form.survey button[type=submit]").click()
    anonymous.wait_for_load_state()
    assert_accessible(anonymous)
    assert SurveyAnswer.objects.count() == 1
    anonymous.goto(f"/survey/{reported_case.survey.token}/")  # the same browser again
    assert anonymous.locator("[name=overall]").count() == 0  # told it was answered already

    # another participant through a personal link
    anonymous.goto(f"/survey/{personal.token}/")
    anonymous.check("[name=overall][value='4']")
    anonymous.locator("form.survey button[type=submit]").click()
    anonymous.wait_for_load_state()
    assert SurveyAnswer.objects.count() == 2
    personal.refresh_from_db()
    assert personal.answered
    anonymous.context.close()

    # the grades: hidden from the applicant below five answers, shown from five up
    page.goto(f"/cases/{reported_case.pk}/")
    survey_section = page.locator("section[aria-labelledby=survey-heading]")
    assert survey_section.locator("dl.facts").count() == 0
    for grade in (5, 4, 5):
        SurveyAnswer.objects.create(survey=reported_case.survey, overall=grade)
    page.reload()
    assert_accessible(page)
    facts = survey_section.locator("dl.facts").inner_text()
    assert "4,6 / 5" in facts  # (5 + 4 + 5 + 4 + 5) / 5
