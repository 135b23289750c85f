"""Participants answer the survey in the browser with one-time codes: a mailed link fills in
the code from its URL fragment; a printed sheet's code is typed (issue 13)."""

import pytest
from django.core import mail

from sparring.surveys.models import Survey, SurveyAnswer, SurveyLink
from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_participants_answer_with_a_mailed_and_a_printed_code(
    page, browser, live_server, reported_case, applicant
):
    # the applicant sends personal codes and prints a sheet on the case page
    login(page, applicant.username, PASSWORD)
    page.wait_for_url("**/applicant/")
    page.goto(f"/cases/{reported_case.pk}/")
    assert_accessible(page)
    mail.outbox.clear()
    page.fill("[name=emails]", "osallistuja1@example.invalid\nosallistuja2@example.invalid")
    page.locator(f"form[action='/cases/{reported_case.pk}/survey/participants/'] button").click()
    page.wait_for_load_state()
    assert SurveyLink.objects.count() == 2
    message = next(m for m in mail.outbox if m.to == ["osallistuja1@example.invalid"])
    link = next(w for w in message.body.split() if "/survey/#code=" in w)
    page.fill("[name=count]", "2")
    page.locator(f"form[action='/cases/{reported_case.pk}/survey/codes/'] button").click()
    page.wait_for_load_state()
    assert_accessible(page)
    printed = page.locator(".code-slips .code").all_inner_texts()
    assert len(printed) == 2

    # a participant, not logged in, opens the mailed link: the code is filled in
    anonymous = browser.new_context(base_url=live_server.url, locale="fi-FI").new_page()
    anonymous.goto("/survey/" + link.split("/survey/", 1)[1])  # the mailed link on this server
    assert anonymous.input_value("[name=code]") == link.split("#code=")[1]
    assert "#code" not in anonymous.url  # taken out of the address bar and history
    assert_accessible(anonymous)
    anonymous.locator("form.survey button[type=submit]").click()
    anonymous.wait_for_load_state()
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

    # another participant types a printed code
    anonymous.goto("/survey/")
    anonymous.fill("[name=code]", printed[0].lower())
    anonymous.locator("form.survey button[type=submit]").click()
    anonymous.check("[name=overall][value='4']")
    anonymous.locator("form.survey button[type=submit]").click()
    anonymous.wait_for_load_state()
    assert SurveyAnswer.objects.count() == 2
    anonymous.context.close()

    # the grades: hidden while the survey is open, shown once closed with five answers
    for grade in (5, 4, 5):
        SurveyAnswer.objects.create(survey=reported_case.survey, overall=grade)
    page.goto(f"/cases/{reported_case.pk}/")
    survey_section = page.locator("section[aria-labelledby=survey-heading]")
    assert survey_section.locator("dl.facts").count() == 0
    Survey.objects.filter(case=reported_case).update(closed=True)
    page.reload()
    assert_accessible(page)
    facts = survey_section.locator("dl.facts").inner_text()
    assert "4,6 / 5" in facts  # (5 + 4 + 5 + 4 + 5) / 5
