"""The product's own failure pages (issue 16, item 3): 400, 403, 404, 500 and the CSRF
failure, in the page's language, with the product's header, skip link, language
switcher, one h1, footer links (accessibility statement, privacy notice) and no
trace of viewflow's "Django Material" pages. DEBUG is off (config.settings.test).
The 500 page renders without the database and without context processors.
"""

import re

import pytest
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.test import Client, RequestFactory
from django.urls import path, reverse
from django.utils import translation

from config import urls as product_urls
from sparring import errors

pytestmark = pytest.mark.django_db


@login_not_required
def _crash(request):
    raise RuntimeError("boom")


@login_not_required
def _suspicious(request):
    raise SuspiciousOperation("bad input")


# The product's URLs plus views that fail on purpose (handlers come from config.urls).
urlpatterns = [
    path("test-crash/", _crash),
    path("test-suspicious/", _suspicious),
    *product_urls.urlpatterns,
]
handler400 = product_urls.handler400
handler403 = getattr(product_urls, "handler403", "django.views.defaults.permission_denied")
handler404 = getattr(product_urls, "handler404", "django.views.defaults.page_not_found")
handler500 = product_urls.handler500


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = __name__
    assert settings.DEBUG is False


def assert_product_page(html: str, language: str, title: str) -> None:
    """The shared frame of every product page, on a failure page."""
    assert f'<html lang="{language}">' in html
    assert "Django Material" not in html and "¯\\_(ツ)_/¯" not in html
    assert html.count("<h1") == 1
    assert re.search(r"<title>\s*" + re.escape(title) + r" – Sparraus\s*</title>", html), html[:600]
    assert 'class="skip-link" href="#main"' in html
    assert 'id="main"' in html
    assert 'class="brand"' in html and ">Sparraus<" in html
    assert 'name="language"' in html  # the language switcher
    assert f'href="{reverse("sparring:accessibility")}"' in html
    assert f'href="{reverse("sparring:privacy")}"' in html


def test_404_is_the_products_page_in_finnish(client, failing_urls):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_product_page(response.content.decode(), "fi", "Sivua ei löytynyt")


def test_404_in_swedish_and_english(client, failing_urls):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    response = client.get("/no-such-page/")
    assert_product_page(response.content.decode(), "sv", "Sidan hittades inte")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/no-such-page/")
    assert_product_page(response.content.decode(), "en", "Page not found")


def test_403_is_the_products_page(client_for, applicant, failing_urls):
    client = client_for(applicant)
    response = client.get(reverse("sparring:coordinator_home"))
    assert response.status_code == 403
    html = response.content.decode()
    assert_product_page(html, "fi", "Ei pääsyä tälle sivulle")
    assert "have no rights" not in html


def test_400_is_the_products_page(failing_urls):
    client = Client(raise_request_exception=False)
    response = client.get("/test-suspicious/")
    assert response.status_code == 400
    assert_product_page(response.content.decode(), "fi", "Pyyntöä ei voitu käsitellä")


def test_400_for_an_unknown_host_is_the_products_page(failing_urls, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client(raise_request_exception=False)
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert_product_page(response.content.decode(), "fi", "Pyyntöä ei voitu käsitellä")


def test_500_is_the_products_page_in_the_users_language(failing_urls):
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    response = client.get("/test-crash/")
    assert response.status_code == 500
    html = response.content.decode()
    assert_product_page(html, "sv", "Något gick fel")
    assert settings.PROGRAMME_CONTACT_EMAIL in html


def test_500_renders_without_the_database_or_context_processors(
    monkeypatch, django_assert_num_queries
):
    """A crash because the database is gone must still get a page: no query, no
    context processor (they read the session and the user)."""

    def broken(request):
        raise AssertionError("a context processor ran")

    monkeypatch.setattr("sparring.context_processors.product", broken)
    request = RequestFactory().get("/cases/")
    with translation.override("en"), django_assert_num_queries(0):
        response = errors.server_error(request)
    assert response.status_code == 500
    assert_product_page(response.content.decode(), "en", "Something went wrong")


def test_csrf_failure_is_the_products_page_with_the_right_lang():
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert_product_page(html, "sv", "Formuläret kunde inte skickas")
    assert 'lang="en"' not in html.split("<body", 1)[1].split('id="language-select"')[0]


def test_error_pages_carry_no_inline_style_or_script(client, failing_urls):
    html = client.get("/no-such-page/").content.decode()
    assert "style=" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
