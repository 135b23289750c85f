"""Issue 13 item 4: the subject-access export from a staff page, and the privacy notice's
controller from the settings (and what it says of the survey, as the code does it)."""

import json

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from sparring.models import AuditEvent
from sparring.surveys import services as surveys

pytestmark = pytest.mark.django_db

URL = reverse("sparring:subject_access")


def test_a_coordinator_downloads_everything_held_about_a_person(applicant, coordinator, client_for):
    staff = client_for(coordinator)
    assert staff.get(URL).status_code == 200
    response = staff.post(URL, {"email": applicant.email.upper()})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="subject-access.json"'
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["accounts"][0]["username"] == applicant.username
    event = AuditEvent.objects.get(action="subject_access_exported")
    assert event.actor == coordinator
    assert applicant.email not in json.dumps(event.data) + event.subject + event.comment


def test_the_export_page_refuses_others_and_checks_the_address(
    applicant, consultant, steering, coordinator, client_for
):
    for user in (applicant, consultant, steering):
        assert client_for(user).post(URL, {"email": applicant.email}).status_code == 403
    assert not AuditEvent.objects.filter(action="subject_access_exported").exists()
    bad = client_for(coordinator).post(URL, {"email": "not an address"})
    assert bad.status_code == 400


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_privacy_notice_names_the_controller_of_the_settings(client, language):
    with override_settings(
        SPARRING_CONTROLLER_NAME="Esimerkin kunta",
        SPARRING_CONTROLLER_ADDRESS="Katu 1, 00100 Helsinki",
        SPARRING_CONTROLLER_EMAIL="tietosuoja@esimerkki.invalid",
    ):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        html = client.get(reverse("sparring:privacy")).content.decode()
    assert '<span data-controller="name">Esimerkin kunta</span>' in html
    assert '<span data-controller="address">Katu 1, 00100 Helsinki</span>' in html
    assert 'href="mailto:tietosuoja@esimerkki.invalid"' in html


# What the notice says of the survey, per language, and the code facts they state.
SURVEY_CLAIMS = {
    "fi": ("kertakäyttöisellä koodilla", "tiivisteinä", "vähintään viisi", "satunnaisella"),
    "sv": ("engångskod", "hashvärden", "minst fem", "slumpmässig"),
    "en": ("one-time code", "hashed form", "at least five", "random key"),
}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_privacy_notice_says_what_the_survey_code_does(client, language):
    from sparring.surveys import disclosure
    from sparring.surveys.models import SurveyAnswer, SurveyCode, SurveyLink

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("sparring:privacy")).content.decode()
    for claim in SURVEY_CLAIMS[language]:
        assert claim in html, claim
    # ... and the code: one-time codes as hashes, random keys, no figure below five
    assert disclosure.MIN_ANSWERS == 5
    assert {f.name for f in SurveyCode._meta.fields} == {"id", "link", "code_hash"}
    assert "token" not in {f.name for f in SurveyLink._meta.fields}
    assert SurveyAnswer._meta.pk.get_internal_type() == "UUIDField"
    assert not hasattr(surveys, "PUBLIC_ANSWERS_PER_HOUR")  # no shared link
