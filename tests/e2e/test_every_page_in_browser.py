"""Every page of every role, in Finnish, Swedish and English, at 1366 and 320 CSS px
(issue 16, "Done when"): 0 axe violations (WCAG 2.1 A/AA), no sideways scrolling of
the page at 320 px, one h1, a title unique among the role's pages, ``lang`` right and
the footer links (accessibility statement, privacy notice) present. The product's
failure pages (404, 403) are checked the same way.

The pages are found by crawling: from each role's home, every same-site link in the
page that a GET may follow, one page per URL pattern (``/cases/12/`` stands for every
case page), without query strings. Not crawled, with the reason:

- downloads and machine endpoints (PDF, iCalendar, SVG, CSV, attachments, health,
  open data, the API and its schema), which are not HTML pages;
- ``/admin/`` (Django's own administration, for maintainers; its footer links are
  tested in tests/unit/ui/test_accessibility_statement.py);
- ``/staff/`` (viewflow's staff area, being rebuilt under issue 16 item 4; its
  pages share one title until then; tests/e2e/test_reflow_in_browser.py covers one).

Screenshots go to $CRAWL_SHOTS when it is set (for a person to look at).
"""

import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_accessible, login
from tests.e2e.test_reflow_in_browser import MEASURE
from tests.unit.procurement.test_calloff import approved_case

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 320)
HOMES = {
    "applicant": "/applicant/",
    "coordinator": "/coordinator/",
    "consultant": "/consultant/",
    "steering": "/steering/",
}
PUBLIC = [
    "/accounts/login/",
    "/accounts/password-reset/",
    "/request-access/",
    "/accessibility/",
    "/privacy/",
    "/acts/",
]
NOT_CRAWLED = re.compile(
    r"\.(pdf|ics|svg|csv|xlsx|json|xml|atom)$|/attachments/|/health/|/open-data/|/schema/|^/api/"
    r"|^/openapi|^/swagger|^/admin/|^/staff/|^/accounts/logout/|^/i18n/|^/jsi18n/"
)
MAX_PAGES = 60  # per role: a guard against a crawl that runs away

# Same-site links in the page, as paths without query or fragment.
LINKS = """() => [...document.querySelectorAll('a[href]')]
  .map(a => new URL(a.href, location.href))
  .filter(u => u.origin === location.origin && !u.search)
  .map(u => u.pathname)"""

FRAME = """() => ({
  lang: document.documentElement.lang,
  title: document.title,
  h1: document.querySelectorAll('h1').length,
  footer: ['/accessibility/', '/privacy/'].every(
    href => document.querySelector('footer a[href="' + href + '"]') !== null),
  skip: document.querySelector('a.skip-link[href="#main"]') !== null,
})"""


# One page at two addresses (sparring/urls.py: the steering group's home is the
# statistics page).
ALIASES = {"/steering/": "/statistics/"}


def pattern(path: str) -> str:
    """``/cases/12/days/3/change/`` -> ``/cases/N/days/N/change/``: one page per kind."""
    return re.sub(r"/\d+(?=/|$)", "/N", ALIASES.get(path, path))


def check_frame(page, path: str, language: str, width: int) -> dict:
    """The checks every page passes; returns the frame facts for the title check."""
    frame = page.evaluate(FRAME)
    where = f"{path} ({language}, {width} px)"
    assert frame["lang"] == language, where
    assert frame["h1"] == 1, f"{where}: {frame['h1']} h1 elements"
    assert frame["footer"], f"{where}: footer links missing"
    assert frame["skip"], f"{where}: skip link missing"
    if width == 320:
        measured = page.evaluate(MEASURE)
        assert measured["scroll"] <= width, f"{where}: scrolls sideways {measured}"
    assert_accessible(page)
    return frame


def crawl(page, start: str, language: str, shots: Path | None, label: str) -> list[str]:
    """Visit every page reachable from ``start`` at 1366 px; return the paths seen."""
    queue, seen, visited, titles = [start], set(), [], {}
    while queue and len(visited) < MAX_PAGES:
        path = queue.pop(0)
        if pattern(path) in seen or NOT_CRAWLED.search(path):
            continue
        seen.add(pattern(path))
        response = page.goto(path)
        if (
            response is None
            or response.status >= 400
            or "text/html" not in (response.headers.get("content-type", ""))
        ):
            continue
        landed = urlparse(page.url).path
        if landed == "/accounts/login/":
            continue  # a link the role cannot open sends it to log in: not its page
        if landed != path:  # a redirect ("/" to the home): count the page it landed on
            if pattern(landed) in seen:
                continue
            seen.add(pattern(landed))
            path = landed
        frame = check_frame(page, path, language, 1366)
        assert frame["title"] not in titles, (
            f"{path} and {titles.get(frame['title'])} share the title {frame['title']!r}"
        )
        titles[frame["title"]] = path
        visited.append(path)
        if shots:
            page.screenshot(
                path=str(
                    shots
                    / f"{language}-1366-{label}-{pattern(path).strip('/').replace('/', '_') or 'root'}.png"
                ),
                full_page=True,
            )
        queue.extend(link for link in page.evaluate(LINKS) if pattern(link) not in seen)
    return visited


def check_narrow(browser, live_server, user, paths, language, shots, label) -> None:
    context = browser.new_context(
        base_url=live_server.url,
        locale="fi-FI",
        timezone_id="Europe/Helsinki",
        viewport={"width": 320, "height": 640},
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        if user:
            login(page, user.username, PASSWORD)
            page.wait_for_url(f"**{HOMES[label]}")
        context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
        for path in paths:
            page.goto(path)
            check_frame(page, path, language, 320)
            if shots:
                page.screenshot(
                    path=str(
                        shots
                        / f"{language}-320-{label}-{pattern(path).strip('/').replace('/', '_') or 'root'}.png"
                    ),
                    full_page=True,
                )
    finally:
        context.close()


@pytest.fixture
def cases(reported_case, applicant, coordinator, open_call):
    """A case at each stage a role has pages for: reported (survey, report) and
    approved, waiting for its call-off."""
    return {"reported": reported_case, "approved": approved_case(applicant, coordinator, open_call)}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_page_of_every_role(browser, live_server, users_by_role, cases, language):
    shots = Path(os.environ["CRAWL_SHOTS"]) if os.environ.get("CRAWL_SHOTS") else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    report = {}
    for role, user in [("public", None), *users_by_role.items()]:
        context = browser.new_context(
            base_url=live_server.url,
            locale="fi-FI",
            timezone_id="Europe/Helsinki",
            viewport={"width": 1366, "height": 900},
        )
        try:
            page = context.new_page()
            page.set_default_timeout(15_000)
            if user:
                login(page, user.username, PASSWORD)
                page.wait_for_url(f"**{HOMES[role]}")
            context.add_cookies(
                [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
            )
            if user:
                paths = crawl(page, HOMES[role], language, shots, role)
            else:
                paths = []
                for path in [*PUBLIC, "/survey/"]:
                    page.goto(path)
                    check_frame(page, path, language, 1366)
                    paths.append(path)
            # the failure pages, in this role's frame
            for path, status in [("/no-such-page/", 404)] + (
                [("/consultant/" if role == "coordinator" else "/coordinator/", 403)]
                if user
                else []
            ):
                response = page.goto(path)
                assert response.status == status, path
                check_frame(page, path, language, 1366)
                paths.append(path)
        finally:
            context.close()
        check_narrow(browser, live_server, user, paths, language, shots, role)
        report[role] = paths
    # the crawl found the pages each role works on (a broken crawl must not pass)
    assert len(report["coordinator"]) >= 12, report
    assert any(pattern(p) == "/cases/N/" for p in report["applicant"]), report
    assert any(pattern(p) == "/cases/N/" for p in report["consultant"]), report
    print(f"\n{language}: " + "; ".join(f"{role} {len(paths)}" for role, paths in report.items()))


TARGETS = """() => [...document.querySelectorAll(
  'main button, main .button, header button, header select, footer a')].filter(el => el.offsetParent !== null).map(el => {
    const r = el.getBoundingClientRect();
    return {text: (el.textContent || el.name || '').trim().slice(0, 30),
            height: Math.round(r.height), width: Math.round(r.width)};
  }).filter(t => t.height < 44 || t.width < 44)"""


@pytest.mark.parametrize("width", WIDTHS)
def test_a_draft_and_its_delete_button_contrast_and_targets(page, applicant, draft_case, width):
    """The "Poista luonnos" button had text at 2.68:1 on red; every button, select and
    footer link is at least 44 x 44 px (touch target)."""
    page.set_viewport_size({"width": width, "height": 900})
    login(page, applicant.username, PASSWORD)
    page.wait_for_url("**/applicant/")
    page.goto(f"/cases/{draft_case.pk}/")
    delete = page.get_by_role("button", name="Poista luonnos")
    assert delete.is_visible()
    assert_accessible(page)
    assert page.evaluate(TARGETS) == []
