"""Reflow (WCAG 1.4.10): every role's main pages fit 320 CSS px without sideways
scrolling of the page, in Finnish and Swedish; a wide data table scrolls only
inside its own labelled region. A 200-letter unbroken unit name wraps, so even
1366 px never scrolls. Each page also passes axe.

Screenshots go to $REFLOW_SHOTS when it is set (for a person to look at).
"""

import os
from pathlib import Path

import pytest
from django.core.management import call_command

from sparring.cases import services
from tests.conftest import PASSWORD, application_data
from tests.e2e.conftest import assert_accessible, login
from tests.unit.procurement.test_calloff import approved_case

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG_UNIT = ("Hyvinvointialueenpalvelukokonaisuudenkehittämisyksikkö" * 4)[:200]  # no space
HOMES = {
    "applicant": "/applicant/",
    "coordinator": "/coordinator/",
    "consultant": "/consultant/",
    "steering": "/steering/",
}

# The page's own width, and every element wider than the viewport that is not
# inside a scroll region (for a readable failure).
MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.table-scroll')) continue;
    const r = el.getBoundingClientRect();
    if (r.right > width + 1) {
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') +
                ' ' + Math.round(r.right));
    }
  }
  return {scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 8)};
}"""

# A region that scrolls must be focusable and named by its table's caption.
REGIONS = """() => [...document.querySelectorAll('.table-scroll')].filter(r =>
  r.getAttribute('role') !== 'region' || r.tabIndex !== 0 ||
  !document.getElementById(r.getAttribute('aria-labelledby') || '-')).length"""


def pages_for(role: str, case_pk: int, approved_pk: int) -> list[str]:
    common = ["/account/api-tokens/"]
    return {
        "applicant": ["/applicant/", "/cases/", f"/cases/{case_pk}/", *common],
        "coordinator": [
            "/coordinator/",
            "/cases/",
            f"/cases/{case_pk}/",
            f"/cases/{approved_pk}/",
            "/statistics/",
            "/procurement/ledger/",
            "/procurement/invoicing/",
            "/procurement/fairness/",
            "/staff/programme/organisation/",
            *common,
        ],
        "consultant": ["/consultant/", "/cases/", *common],
        "steering": ["/steering/", "/statistics/", *common],
    }[role]


@pytest.fixture
def programme(applicant, coordinator, consultant, steering, open_call, agreement, supplier):
    """The seeded programme (statistics, ledger) plus a submitted case with a very long
    unit name and an approved one waiting for its call-off."""
    call_command("seed_programme", force=True)
    case = services.case_create(
        actor=applicant, call=open_call, data=application_data(unit=LONG_UNIT)
    )
    services.case_submit(actor=applicant, case=case, version=case.version)
    approved = approved_case(applicant, coordinator, open_call)
    return {"case": case, "approved": approved}


def check(page, path: str, width: int, shots: Path | None, name: str) -> None:
    page.goto(path)
    measured = page.evaluate(MEASURE)
    if shots:
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    assert measured["scroll"] <= width, f"{path} at {width} px: {measured}"
    assert page.evaluate(REGIONS) == 0, f"{path}: a table region is not focusable or named"
    assert_accessible(page)


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_main_pages_reflow_at_320_px(browser, live_server, programme, users_by_role, language):
    shots = Path(os.environ["REFLOW_SHOTS"]) if os.environ.get("REFLOW_SHOTS") else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    for role, user in users_by_role.items():
        context = browser.new_context(
            base_url=live_server.url,
            locale="fi-FI",
            timezone_id="Europe/Helsinki",
            viewport={"width": 320, "height": 640},
        )
        try:
            page = context.new_page()
            page.set_default_timeout(15_000)
            login(page, user.username, PASSWORD)
            page.wait_for_url(f"**{HOMES[role]}")
            context.add_cookies(
                [{"name": "sparring_language", "value": language, "url": live_server.url}]
            )
            for path in pages_for(role, programme["case"].pk, programme["approved"].pk):
                name = f"{language}-{role}-{path.strip('/').replace('/', '_') or 'root'}"
                check(page, path, 320, shots, name)
                assert page.locator("html").get_attribute("lang") == language
        finally:
            context.close()


def test_a_long_unbroken_unit_name_wraps_at_1366_px(browser, live_server, programme, coordinator):
    context = browser.new_context(
        base_url=live_server.url, locale="fi-FI", viewport={"width": 1366, "height": 900}
    )
    try:
        page = context.new_page()
        login(page, coordinator.username, PASSWORD)
        page.wait_for_url("**/coordinator/")
        for path in ["/coordinator/", "/cases/", f"/cases/{programme['case'].pk}/"]:
            check(page, path, 1366, None, "")
            # no table region needs to scroll either: the name wraps inside its cell
            assert page.evaluate(
                "() => [...document.querySelectorAll('.table-scroll')]"
                ".every(r => r.scrollWidth <= r.clientWidth)"
            ), path
    finally:
        context.close()
