"""Logging in and out, and resetting a forgotten password by e-mail."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from sparring.models import OutboundEmail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_page_is_finnish_by_default(client):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="fi">' in html
    assert "Kirjaudu sisään" in html


def test_wrong_password_gets_a_clear_message_and_no_login(client, applicant):
    response = client.post(reverse("login"), {"username": applicant.username, "password": "wrong"})
    assert response.status_code == 200
    assert "käyttäjätunnus ja salasana" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_empty_login_form_names_the_missing_fields(client):
    response = client.post(reverse("login"), {"username": "", "password": ""})
    assert response.status_code == 200
    assert response.content.decode().count("Tämä kenttä vaaditaan") == 2


def test_login_lands_on_the_role_home_and_logout_returns_to_login(client, applicant):
    response = client.post(
        reverse("login"), {"username": applicant.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("sparring:applicant_home")
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_a_login_link_to_another_site_is_not_followed(client, applicant):
    response = client.post(
        reverse("login") + "?next=https://evil.example/",
        {"username": applicant.username, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_password_reset_with_an_invalid_address_says_what_is_wrong(client):
    response = client.post(reverse("password_reset"), {"email": "not an address"})
    assert response.status_code == 200
    assert "sähköpostiosoite" in response.content.decode().lower()
    assert OutboundEmail.objects.count() == 0


def test_unknown_address_gets_the_same_answer_and_no_mail(client, applicant):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.invalid"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 0


def test_password_reset_end_to_end_in_the_users_language(client, applicant):
    applicant.language = "sv"
    applicant.save(update_fields=["language"])

    client.post(reverse("password_reset"), {"email": applicant.email})

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [applicant.email]
    assert "lösenord" in message.subject.lower()
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    link = re.search(r"https?://[^/\s]+(/accounts/password-reset/\S+/)", message.body).group(1)
    assert OutboundEmail.objects.get().sent_at is not None

    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0]
    weak = client.post(set_url, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200
    assert "Salasana on liian lyhyt" in weak.content.decode()
    done = client.post(
        set_url, {"new_password1": "uusi-salasana-2026!", "new_password2": "uusi-salasana-2026!"}
    )
    assert done.status_code == 302
    assert client.login(username=applicant.username, password="uusi-salasana-2026!")

    reused = client.get(link, follow=True)
    # signed in now: the pages are in the person's own language (sparring/languages.py)
    assert "Länken har redan använts eller så har den gått ut" in reused.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["HAKIJA.ESPOO", "Hakija.Espoo", "hakija.espoo"])
def test_the_username_signs_in_in_any_letter_case(client, organisation, typed):
    from tests.conftest import PASSWORD, make_user

    make_user("applicant", "hakija.espoo", organisation=organisation)
    response = client.post(reverse("login"), {"username": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_a_wrong_password_in_any_case_still_fails(client, organisation):
    from tests.conftest import make_user

    make_user("applicant", "hakija.espoo", organisation=organisation)
    response = client.post(reverse("login"), {"username": "HAKIJA.ESPOO", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
