"""Long Finnish and Swedish headings at 320 px (session 10, item 4): the page's language
is on <html lang> (hyphenation dictionaries and screen readers go by it), headings and
labels ask for hyphenation (``hyphens: auto``, where the browser has a dictionary), and
the headings are sized so that the product's own compound words ("ansökningsomgångar",
"Arbetarskyddsorganisation") fit whole on a phone: no word of a heading or chart label
is split across lines, and nothing is wider than the page.

Screenshots go to $HEADING_SHOTS when it is set (for a person to look at).
"""

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import phone_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The words of headings, captions and chart labels that are split over two lines.
SPLIT_WORDS = """() => {
  const split = [];
  for (const el of document.querySelectorAll('main h1, main h2, main h3, main caption, .bar-label')) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const re = /\\S+/g; let m;
      while ((m = re.exec(node.textContent))) {
        const range = document.createRange();
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                                                       .map(r => Math.round(r.top)));
        if (tops.size > 1) split.push(el.tagName.toLowerCase() + ': ' + m[0]);
      }
    }
  }
  return split;
}"""

STYLE = """() => [...document.querySelectorAll('main h1, main h2')].map(h => {
  const s = getComputedStyle(h);
  return [s.hyphens || s.webkitHyphens, s.overflowWrap];
})"""

PAGES = {
    "applicant": ["/applicant/"],
    "consultant": ["/consultant/"],
    "coordinator": ["/coordinator/", "/statistics/"],
    "steering": ["/statistics/"],
}


@pytest.fixture
def programme(open_call, reference_data):
    """An open call (its heading on the applicant's home) and the sectors and themes."""
    return open_call


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_headings_keep_their_words_whole_at_320_px(
    browser, live_server, programme, users_by_role, language
):
    shots = Path(os.environ["HEADING_SHOTS"]) if os.environ.get("HEADING_SHOTS") else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    for role, user in users_by_role.items():
        with phone_page(browser, live_server, user, language) as page:
            for path in PAGES[role]:
                page.goto(path)
                if shots:
                    name = f"{language}-{role}-{path.strip('/').replace('/', '_')}.png"
                    page.screenshot(path=str(shots / name), full_page=True)
                assert page.locator("html").get_attribute("lang") == language
                assert page.evaluate(SPLIT_WORDS) == [], f"{language} {path}"
                assert all(hyphens == "auto" for hyphens, _wrap in page.evaluate(STYLE)), path
                assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
