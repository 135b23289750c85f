"""Browser tests: Playwright driving the system's Chromium, and the axe-core check.

Every page test calls ``assert_accessible(page)``, which runs the axe-core rules
tagged WCAG 2.0/2.1 A and AA and fails with the list of violations.
"""

import os
import shutil
from contextlib import contextmanager

import pytest

from tests.conftest import PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def site_url_is_the_live_server(request, settings):
    """Links in e-mail and on the pages start with SITE_URL: here, the live server's address."""
    if "live_server" in request.fixturenames or "page" in request.fixturenames:
        settings.SITE_URL = request.getfixturevalue("live_server").url


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="fi-FI",
        timezone_id="Europe/Helsinki",
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def session_for(browser, live_server):
    """``session_for(user)``: a page logged in as ``user`` in a browser context of its own.

    Finnish, Helsinki time; waits for the role's home (or ``home`` when given). The
    contexts close when the test ends.
    """
    contexts = []

    def make(user, home: str | None = None):
        context = browser.new_context(
            base_url=live_server.url, locale="fi-FI", timezone_id="Europe/Helsinki"
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        login(page, user.username, PASSWORD)
        page.wait_for_url(f"**{home or f'/{user.role}/'}")
        return page

    yield make
    for context in contexts:
        context.close()


@contextmanager
def phone_page(browser, live_server, user, language: str, width: int = 320):
    """A page logged in as ``user`` at ``width`` px (a phone), its language ``language``
    (the language cookie, as the switcher sets it); the context closes after the block."""
    context = browser.new_context(
        base_url=live_server.url, locale="fi-FI", viewport={"width": width, "height": 640}
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        login(page, user.username, PASSWORD)
        context.add_cookies(
            [{"name": "sparring_language", "value": language, "url": live_server.url}]
        )
        yield page
    finally:
        context.close()


def assert_accessible(page) -> None:
    """Fail with a readable list if axe finds WCAG 2.1 A/AA violations on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations = results.response["violations"]
    if violations:
        lines = [f"{page.url}: {len(violations)} axe violation(s)"]
        for violation in violations:
            targets = [", ".join(node["target"]) for node in violation["nodes"][:5]]
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
            )
        pytest.fail("\n".join(lines), pytrace=False)


def login(page, username: str, password: str) -> None:
    """Log in through the login page; a coordinator's or staff member's second factor is
    completed too (set up on the page if the person has none yet, else the current code
    of the authenticator in the database: ``tests.conftest.second_factor_secret``)."""
    page.goto("/accounts/login/")
    page.get_by_label("Käyttäjätunnus").fill(username)
    page.get_by_label("Salasana").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Kirjaudu sisään").click()
    if "/accounts/second-factor/" in page.url:
        complete_second_factor(page, username)


def complete_second_factor(page, username: str) -> None:
    """On the second factor's page (set-up or code): give the authenticator's code."""
    from sparring.accounts import twofactor
    from sparring.models import User
    from tests.conftest import second_factor_secret

    if "/set-up/" in page.url:
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    else:
        secret = second_factor_secret(User.objects.get(username__iexact=username))
    page.fill("[name=code]", twofactor.current_code(secret))
    with page.expect_navigation():
        page.locator("form.stacked button[type=submit]").click()
    if page.locator("#recovery-codes").count():
        with page.expect_navigation():
            page.get_by_role("link", name="Olen tallentanut koodit, jatka").click()
