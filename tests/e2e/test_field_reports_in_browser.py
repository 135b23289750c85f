"""Issue 18 in the browser: long unbreakable text stays inside a 320 px page, dates carry
their weekday, and a day off asks for confirmation — in Finnish and Swedish."""

import os
from datetime import date

import pytest

from sparring.models import Case, SessionDay
from sparring.reports.models import Report
from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_accessible
from tests.unit.reports.test_pdf_long_text import COMPOUND, DIGITS, EMAIL, IDENTIFIER, LINK

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# the text the case's people write; a data table too narrow for 320 px is another matter
OVERFLOWING = """() => [...document.querySelectorAll('main p, main dd, main li, main h1')]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .map(e => e.tagName + ': ' + e.textContent.trim().slice(0, 60))"""


def shot(page, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


@pytest.mark.parametrize("language", ["fi", "sv"])
@pytest.mark.parametrize("width", [320, 1366])
def test_the_case_page_keeps_long_text_inside_and_shows_weekdays(
    browser, live_server, reported_case, applicant, language, width
):
    Report.objects.filter(case=reported_case).update(
        implementation=f"Aineisto: {LINK}",
        themes_covered=COMPOUND,
        results=IDENTIFIER,
        follow_up=DIGITS,
    )
    Case.objects.filter(pk=reported_case.pk).update(unit=EMAIL)
    applicant.language = language  # the person's own language applies at login (issue 16)
    applicant.save(update_fields=["language"])
    first, second = reported_case.days_planned.order_by("date")
    SessionDay.objects.filter(pk=first.pk).update(date=date(2026, 12, 24))
    SessionDay.objects.filter(pk=second.pk).update(date=date(2027, 3, 29))
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}, locale="fi-FI"
    )
    context.add_cookies([{"name": "sparring_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.goto("/accounts/login/")  # in the cookie's language
    page.locator("input[name=username]").fill(applicant.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/applicant/")
    page.goto(f"/cases/{reported_case.pk}/")
    shot(page, f"case-long-text-{language}-{width}")
    assert page.evaluate(OVERFLOWING) == []
    # and the page itself does not scroll sideways (the days table scrolls in its own box)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    text = page.locator("main").inner_text()
    expected = {
        "fi": ("torstai 24.12.2026 (Jouluaatto)", "maanantai 29.3.2027 (Toinen pääsiäispäivä)"),
        "sv": ("torsdag 24.12.2026 (Julafton)", "måndag 29.3.2027 (Annandag påsk)"),
    }[language]
    for label in expected:
        assert label in text
    assert_accessible(page)
    context.close()


@pytest.mark.parametrize(("language", "width"), [("fi", 320), ("sv", 1366)])
def test_proposing_christmas_eve_asks_for_confirmation_naming_it(
    browser, live_server, submitted_case, coordinator, consultant, language, width
):
    from sparring.cases import services
    from sparring.models import Call
    from tests.unit.cases.test_case_flow import approve, fresh, offer_to

    Call.objects.filter(pk=submitted_case.call_id).update(
        delivery_starts=date(2026, 1, 1), delivery_ends=date(2027, 12, 31)
    )
    approve(submitted_case, coordinator)
    offer = offer_to(submitted_case, coordinator, consultant)
    services.offer_answer(actor=consultant, offer=offer, accept=True)
    case = fresh(submitted_case)
    consultant.language = language  # the person's own language applies at login (issue 16)
    consultant.save(update_fields=["language"])
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}, locale="fi-FI"
    )
    context.add_cookies([{"name": "sparring_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(consultant.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/consultant/")
    page.goto(f"/cases/{case.pk}/schedule/")
    for n, day in ((1, date(2026, 12, 24)), (2, date(2027, 3, 30))):
        page.fill(f"[name=day{n}-date]", day.isoformat())
        page.fill(f"[name=day{n}-start_time]", "09:00")
        page.fill(f"[name=day{n}-end_time]", "15:00")
        page.fill(f"[name=day{n}-place]", "Kaupungintalo")
    page.locator("main form button[type=submit]").click()
    box = page.locator("[name=day1-non_working_confirmed]")
    box.wait_for()
    assert page.locator("[name=day2-non_working_confirmed]").count() == 0
    name = {"fi": "Jouluaatto", "sv": "Julafton"}[language]
    assert name in page.locator("main").inner_text()
    shot(page, f"schedule-day-off-{language}-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    box.check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert case.days_planned.filter(date=date(2026, 12, 24), status="proposed").exists()
    context.close()


def test_a_report_pasted_up_to_the_browsers_limit_is_accepted(
    browser, live_server, submitted_case, coordinator, consultant, applicant
):
    """Chromium counts each line break once against maxlength and posts it as CR LF."""
    from django.utils import timezone

    from sparring.cases import services
    from tests.unit.cases.test_case_flow import fresh, walk_to_delivery
    from tests.unit.test_line_breaks import browser_text

    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    case.days_planned.update(date=timezone.localdate())
    for day in case.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)
    case = fresh(case)
    from sparring.reports.models import REPORT_TEXT_LIMITS

    limit = REPORT_TEXT_LIMITS["implementation"]
    text = browser_text(limit)
    context = browser.new_context(base_url=live_server.url, locale="fi-FI")
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(consultant.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/consultant/")
    page.goto(f"/cases/{case.pk}/report/")
    field = page.locator("textarea[name=implementation]")
    field.fill(text)
    assert field.evaluate("e => [e.value.length, e.validity.tooLong]") == [limit, False]
    assert page.locator(".char-counter").first.is_visible()
    page.locator("button[name=intent][value=draft]").click()
    page.wait_for_url(f"**/cases/{case.pk}/report/")
    assert page.locator(".errorlist").count() == 0
    case.report.refresh_from_db()
    assert case.report.implementation == text
    context.close()
