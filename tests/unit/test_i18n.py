"""Finnish first; Swedish and English alongside; Finnish dates; Helsinki time."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation


def render(source: str, **context) -> str:
    return Template("{% load i18n %}" + source).render(Context(context))


def test_dates_read_the_finnish_way_in_every_language():
    day = date(2026, 3, 5)
    for language in ("fi", "sv", "en"):
        with translation.override(language):
            assert render("{{ d|date:'SHORT_DATE_FORMAT' }}", d=day) == "5.3.2026"
            assert render("{{ d|date }}", d=day) == "5.3.2026"


def test_times_are_shown_in_helsinki_time():
    moment = datetime(2026, 6, 1, 9, 30, tzinfo=ZoneInfo("UTC"))
    assert settings.TIME_ZONE == "Europe/Helsinki"
    with translation.override("fi"):
        assert render("{{ m|date:'SHORT_DATETIME_FORMAT' }}", m=moment) == "1.6.2026 12.30"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "lang_attr", "heading"),
    [("fi", "fi", "Kirjaudu sisään"), ("sv", "sv", "Logga in"), ("en", "en", "Log in")],
)
def test_the_language_switcher_changes_the_page_language(client, language, lang_attr, heading):
    response = client.post(
        reverse("set_language"), {"language": language, "next": reverse("login")}, follow=True
    )
    html = response.content.decode()
    assert f'<html lang="{lang_attr}">' in html
    assert f"<h1>{heading}</h1>" in html


@pytest.mark.django_db
def test_every_page_links_the_accessibility_statement_and_privacy_notice(client):
    for url in (reverse("login"), reverse("password_reset"), reverse("sparring:privacy")):
        html = client.get(url).content.decode()
        assert f'href="{reverse("sparring:accessibility")}"' in html
        assert f'href="{reverse("sparring:privacy")}"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_legal_pages_exist_in_each_language(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    accessibility = client.get(reverse("sparring:accessibility")).content.decode()
    privacy = client.get(reverse("sparring:privacy")).content.decode()
    assert f'<html lang="{language}">' in accessibility
    assert "saavutettavuusvaatimukset.fi" in accessibility
    assert "tietosuoja.fi" in privacy
