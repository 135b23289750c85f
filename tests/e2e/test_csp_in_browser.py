"""The Content-Security-Policy breaks nothing (issue 15, item 4): the main pages of each
role, /staff/ (viewflow) and the API documentation load in Chromium with no CSP
violation reported (the ``securitypolicyviolation`` event and the console)."""

import pytest
from django.conf import settings
from django.test import Client

from procurement.models import FrameworkAgreement

pytestmark = pytest.mark.django_db(transaction=True)

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


def signed_in_context(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url, locale="fi-FI")
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    context.add_init_script(LISTEN)
    return context


def violations_on(context, paths: list[str]) -> dict[str, list[str]]:
    page = context.new_page()
    page.set_default_timeout(15_000)
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    found = {}
    for path in paths:
        console.clear()
        response = page.goto(path)
        assert response is not None and response.status < 400, (path, response and response.status)
        page.wait_for_load_state("networkidle")
        seen = page.evaluate("window.__csp") + console
        if seen:
            found[path] = seen
    return found


@pytest.fixture
def world(reported_case, agreement, open_call, other_applicant):
    return reported_case


def test_main_pages_of_every_role_show_no_csp_violation(
    browser, live_server, world, applicant, coordinator, consultant, steering
):
    case = world
    agreement = FrameworkAgreement.objects.get()
    pages = {
        None: ["/accounts/login/", "/request-access/", "/api/v1/docs/"],
        applicant: ["/applicant/", f"/cases/{case.pk}/", f"/calls/{case.call_id}/apply/"],
        consultant: ["/consultant/", "/consultant/profile/", f"/cases/{case.pk}/"],
        steering: ["/steering/"],
        coordinator: [
            "/coordinator/",
            f"/cases/{case.pk}/",
            "/coordinator/calls/",
            "/coordinator/people/",
            "/statistics/",
            "/jobs/",
            "/procurement/invoicing/",
            "/staff/programme/frameworkagreement/",
            "/staff/programme/frameworkagreement/add/",
            f"/staff/programme/frameworkagreement/{agreement.pk}/change/",
            "/staff/programme/consultant/",
        ],
    }
    found = {}
    for user, paths in pages.items():
        context = signed_in_context(browser, live_server, user)
        try:
            found |= violations_on(context, paths)
        finally:
            context.close()
    assert not found, found
