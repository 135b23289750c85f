"""The staff area in Finnish, Swedish and English, at 1366 and 320 px: unique titles,
named buttons, no axe violations, no sideways scrolling on a phone, the footer's links;
and a form with an error completed with the keyboard only (issue 16 items 2 and 4).
The ordinary crawl (test_every_page_in_browser) leaves /staff/ to this test."""

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_accessible, login

# Every list of the staff area (workflow/site.py) and its "new record" form.
KINDS = [
    "organisation",
    "frameworkagreement",
    "supplier",
    "consultant",
    "conflictofinterest",
    "unavailability",
    "sector",
    "theme",
]
PAGES = [f"/staff/programme/{kind}/" for kind in KINDS] + [
    f"/staff/programme/{kind}/add/" for kind in KINDS
]


@pytest.mark.parametrize("width", [1366, 320])
@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_staff_pages_are_named_and_accessible(
    page, live_server, coordinator, language, width, reference_data
):
    login(page, coordinator.username, PASSWORD)
    page.wait_for_url("**/coordinator/")
    page.set_viewport_size({"width": width, "height": 900})
    page.context.add_cookies(
        [{"name": "sparring_language", "value": language, "url": live_server.url}]
    )
    titles = set()
    for path in PAGES:
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_selector("h1")
        assert page.evaluate("document.documentElement.lang") == language
        assert page.evaluate(
            """() => ['/accessibility/', '/privacy/'].every(
                 h => document.querySelector('a[href="' + h + '"]') !== null)"""
        ), path
        if width == 320:
            page.wait_for_load_state("networkidle")  # viewflow's widgets lay out by script
            scroll = page.evaluate("document.documentElement.scrollWidth")
            overflowing = page.evaluate(
                """() => {
                  const out = [];
                  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                  while (walker.nextNode()) {
                    const r = document.createRange(); r.selectNodeContents(walker.currentNode);
                    const b = r.getBoundingClientRect();
                    if (b.right > innerWidth + 1) out.push('text:' + walker.currentNode.textContent.trim().slice(0, 40) + ' ' + Math.round(b.right));
                  }
                  for (const e of document.querySelectorAll('body *')) {
                    if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible')
                      out.push('over:' + e.tagName + '.' + String(e.className).slice(0, 40) + ' ' + e.scrollWidth + '/' + e.clientWidth);
                  }
                  return out.slice(0, 8);
                }"""
            )
            assert scroll <= width, f"{path} scrolls sideways at 320 px ({scroll}): {overflowing}"
        titles.add(page.title())
        unnamed = page.evaluate(
            """() => Array.from(document.querySelectorAll('button, [role=button]'))
                 .filter(b => b.offsetParent !== null)
                 .filter(b => !(b.getAttribute('aria-label') || b.textContent.trim()) ||
                              /^(more_vert|arrow_drop_down|filter_list)$/.test(
                                 b.getAttribute('aria-label') || b.textContent.trim()))
                 .map(b => b.outerHTML.slice(0, 120))"""
        )
        assert not unnamed, unnamed
        assert_accessible(page)
    assert len(titles) == len(PAGES), titles


def test_a_staff_form_with_an_error_is_completed_with_the_keyboard(
    page, live_server, coordinator, reference_data
):
    login(page, coordinator.username, PASSWORD)
    page.wait_for_url("**/coordinator/")
    page.goto("/staff/programme/sector/add/")
    page.wait_for_selector("#id_code_control")
    page.focus("#id_code_control")
    page.keyboard.type("education")  # taken: the server refuses it
    page.focus("#id_name_fi_control")
    page.keyboard.type("Kulttuuri")
    for field, value in (("name_sv", "Kultur"), ("name_en", "Culture"), ("position", "9")):
        page.focus(f"#id_{field}_control")
        page.keyboard.type(value)
    page.focus("form.vf-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".form-error-summary")
    assert page.title().startswith("Virhe: ")
    # the summary takes the focus; its link leads to the input, which names its error
    page.wait_for_function(  # a function, not a string: the CSP allows no eval
        "() => document.activeElement"
        " && document.activeElement.classList.contains('form-error-summary')"
    )
    assert_accessible(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'id_code_control'")
    described = page.evaluate(
        """() => { const el = document.activeElement;
                   const ids = (el.getAttribute('aria-describedby') || '').split(' ');
                   return [el.getAttribute('aria-invalid'),
                           ids.map(i => document.getElementById(i)?.textContent.trim())]; }"""
    )
    assert described[0] == "true"
    assert described[1] and all(described[1]), described
    page.keyboard.press("Control+A")
    page.keyboard.type("culture")
    page.focus("form.vf-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/programme/sector/")
    assert page.locator("text=Kulttuuri").first.is_visible()
