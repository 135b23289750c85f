"""The reader's language: their own at login and after, the case's on its survey (issue 16 item 5)."""

from django.urls import reverse

from tests.conftest import PASSWORD


def test_a_swedish_speaking_applicant_lands_on_swedish_pages_after_login(client, applicant):
    applicant.language = "sv"
    applicant.save(update_fields=["language"])
    client.cookies["sparring_language"] = "fi"  # the browser was on Finnish before
    response = client.post(
        reverse("login"), {"username": applicant.username, "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert '<html lang="sv">' in response.content.decode()
    assert client.cookies["sparring_language"].value == "sv"
    # kept on the next pages
    assert '<html lang="sv">' in client.get(reverse("home"), follow=True).content.decode()


def test_the_switcher_wins_after_login(client, applicant):
    applicant.language = "sv"
    applicant.save(update_fields=["language"])
    client.post(reverse("login"), {"username": applicant.username, "password": PASSWORD})
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get(reverse("home"), follow=True).content.decode()


def test_switching_without_a_cookie_is_not_overridden_by_the_own_language(client, applicant):
    client.force_login(applicant)  # no language cookie yet; own language fi
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert client.cookies["sparring_language"].value == "en"
    assert '<html lang="en">' in client.get(reverse("home"), follow=True).content.decode()


def test_a_logged_in_person_without_the_cookie_gets_their_own_language(client, applicant):
    applicant.language = "sv"
    applicant.save(update_fields=["language"])
    client.force_login(applicant)
    page = client.get(reverse("home"), follow=True).content.decode()
    assert '<html lang="sv">' in page


def survey_page(client, case, applicant) -> str:
    """The answer page a participant gets after typing a one-time code (the code page
    before it cannot know the case, so it follows the browser)."""
    from sparring.surveys import services as surveys

    (code,) = surveys.survey_issue_codes(actor=applicant, case=case, count=1)
    return client.post("/survey/", {"code": code}).content.decode()


def test_the_survey_of_a_swedish_case_is_in_swedish_unless_the_visitor_switched(
    reported_case, client, applicant
):
    reported_case.language = "sv"
    reported_case.save(update_fields=["language"])
    assert '<html lang="sv">' in survey_page(client, reported_case, applicant)
    client.cookies["sparring_language"] = "fi"
    assert '<html lang="fi">' in survey_page(client, reported_case, applicant)


def test_the_survey_of_a_finnish_case_is_in_finnish(reported_case, client, applicant):
    assert '<html lang="fi">' in survey_page(client, reported_case, applicant)
