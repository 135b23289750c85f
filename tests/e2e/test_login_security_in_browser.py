"""Signing in securely in the browser (issue 15): the coordinator sets up the authenticator
app from the QR code page, logs in again with a code; the lockout page; the coordinator
lifts a lockout. Every page passes axe."""

import pytest
from django.conf import settings

from sparring.accounts import twofactor
from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fill_login(page, username, password):
    page.goto("/accounts/login/")
    page.get_by_label("Käyttäjätunnus").fill(username)
    page.get_by_label("Salasana").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Kirjaudu sisään").click()


def test_a_coordinator_sets_up_the_app_and_then_gives_codes(page, coordinator):
    fill_login(page, coordinator.username, PASSWORD)
    page.wait_for_url("**/accounts/second-factor/set-up/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Ota todennussovellus käyttöön"
    assert page.get_by_role("img", name="QR-koodi todennussovellukselle").is_visible()
    assert_accessible(page)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_role("textbox", name="Koodi").fill("123")
    with page.expect_navigation():
        page.get_by_role("button", name="Vahvista").click()
    assert "Koodi ei ole oikein" in page.locator("main").inner_text()
    page.get_by_role("textbox", name="Koodi").fill(twofactor.current_code(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Vahvista").click()
    assert page.locator("#recovery-codes li").count() == 10
    assert_accessible(page)
    page.get_by_role("link", name="Olen tallentanut koodit, jatka").click()
    page.wait_for_url("**/coordinator/")

    # next time: the code only
    page.context.clear_cookies()
    fill_login(page, coordinator.username, PASSWORD)
    page.wait_for_url("**/accounts/second-factor/?**")
    assert_accessible(page)
    from sparring.accounts.models import SecondFactor

    SecondFactor.objects.filter(user=coordinator).update(last_step=0)
    page.get_by_role("textbox", name="Koodi").fill(twofactor.current_code(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Jatka").click()
    page.wait_for_url("**/coordinator/")


def test_the_lockout_page_and_a_coordinator_lifting_it(page, applicant, coordinator, browser):
    for _ in range(settings.SPARRING_LOGIN_FAILURES_PER_ACCOUNT):
        fill_login(page, applicant.username, "wrong-password-123")
    assert page.get_by_role("heading", level=1).inner_text() == "Kirjautuminen on keskeytetty"
    assert_accessible(page)

    login(page, coordinator.username, PASSWORD)
    page.wait_for_url("**/coordinator/")
    page.goto("/coordinator/people/")
    page.get_by_role("link", name="Keskeytetyt kirjautumiset").click()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name=f"Poista kohteen {applicant.username} keskeytys").click()
    assert "Yhtään kirjautumista ei ole nyt keskeytetty." in page.locator("main").inner_text()
    page.context.clear_cookies()
    login(page, applicant.username, PASSWORD)
    page.wait_for_url("**/applicant/")
