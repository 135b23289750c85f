"""Each role logs in through the real login page and lands on its own home."""

import re

import pytest
from django.core import mail

from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANDINGS = {
    "applicant": ("/applicant/", "Organisaatiosi sparraukset", "Hakija, Tampereen kaupunki"),
    "coordinator": ("/coordinator/", "Koordinointi", "Koordinaattori"),
    "consultant": (
        "/consultant/",
        "Tarjouksesi ja toimeksiantosi",
        "Konsultti, Kehittäjäkumppanit Oy",
    ),
    "steering": ("/steering/", "Ohjelman tilastot", "Ohjausryhmän jäsen"),
}


def test_login_page_is_finnish_and_accessible(page):
    page.goto("/")
    assert page.url.endswith("/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "fi"
    assert page.get_by_role("heading", level=1).inner_text() == "Kirjaudu sisään"
    assert page.get_by_role("link", name="Saavutettavuusseloste").is_visible()
    assert page.get_by_role("link", name="Tietosuojaseloste").is_visible()
    assert_accessible(page)


@pytest.mark.parametrize("role", LANDINGS)
def test_each_role_lands_on_its_own_home(role, page, users_by_role):
    user = users_by_role[role]
    login(page, user.username, PASSWORD)

    path, heading, role_and_affiliation = LANDINGS[role]
    page.wait_for_url(f"**{path}")
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert page.locator(".who-role").inner_text() == role_and_affiliation
    assert_accessible(page)

    page.get_by_role("button", name="Kirjaudu ulos").click()
    page.wait_for_url("**/accounts/login/")


def test_wrong_password_is_told_clearly(page, applicant):
    login(page, applicant.username, "väärä-salasana")
    alert = page.get_by_role("alert")
    assert "käyttäjätunnus ja salasana" in alert.inner_text()
    assert_accessible(page)


def test_language_switcher_turns_the_page_swedish_and_back(page):
    page.goto("/accounts/login/")
    page.get_by_label("Kieli").select_option("sv")
    page.get_by_role("button", name="Vaihda").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.get_by_role("heading", level=1).inner_text() == "Logga in"
    assert_accessible(page)
    page.get_by_label("Språk").select_option("fi")
    page.get_by_role("button", name="Byt").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fi"


def test_password_reset_by_email_in_the_browser(page, applicant):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Unohditko salasanasi?").click()
    assert_accessible(page)
    page.get_by_label("Sähköpostiosoite").fill("ei osoite")
    page.get_by_role("button", name="Lähetä linkki").click()
    assert "sähköpostiosoite" in page.locator(".errorlist").inner_text().lower()

    page.get_by_label("Sähköpostiosoite").fill(applicant.email)
    page.get_by_role("button", name="Lähetä linkki").click()
    page.wait_for_url("**/password-reset/sent/")
    assert_accessible(page)

    link = re.search(r"https?://\S+/accounts/password-reset/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.get_by_label("Uusi salasana", exact=True).fill("uusi-salasana-2026!")
    page.get_by_label("Uusi salasana uudelleen").fill("uusi-salasana-2026!")
    assert_accessible(page)
    page.get_by_role("button", name="Tallenna uusi salasana").click()
    page.wait_for_url("**/password-reset/complete/")

    login(page, applicant.username, "uusi-salasana-2026!")
    page.wait_for_url("**/applicant/")


@pytest.mark.parametrize("path", ["/accessibility/", "/privacy/"])
def test_legal_pages_are_accessible(page, path):
    page.goto(path)
    assert page.get_by_role("heading", level=1).count() == 1
    assert_accessible(page)


def test_coordinator_pages_are_accessible(page, coordinator):
    from sparring.models import OutboundEmail
    from tests.jobflow.flows import start_probe

    start_probe(mode="fail")  # something on the background work page: a failed job ...
    OutboundEmail.objects.create(  # ... and an e-mail that could not be sent
        to="anna@example.invalid",
        subject="Testi",
        body_text="Testi",
        template="case_event",
        attempts=2,
        last_error="Connection refused",
    )
    login(page, coordinator.username, PASSWORD)
    page.wait_for_url("**/coordinator/")
    page.get_by_role("link", name="Huomiota vaativat taustatyöt").click()
    page.wait_for_url("**/jobs/")
    assert page.get_by_text("Connection refused").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Epäonnistuneet taustatyöt").first.click()
    page.wait_for_url("**/jobs/failed/")
    assert_accessible(page)


def test_staff_pages_keep_the_footer_and_language_switcher(page, coordinator, organisation):
    login(page, coordinator.username, PASSWORD)
    page.wait_for_url("**/coordinator/")
    page.goto("/staff/programme/organisation/")
    assert page.get_by_role("link", name="Tampereen kaupunki").is_visible()
    assert page.get_by_role("link", name="Saavutettavuusseloste").is_visible()
    assert page.get_by_role("link", name="Tietosuojaseloste").is_visible()
    assert page.get_by_label("Kieli").is_visible()
    assert_accessible(page)
