"""A scrolling table at 320 px (session 11): its caption is read without scrolling and a
case reference is one word.

The coordinator's queue is a data table that scrolls inside its region at 320 px. Its
caption was as wide as the table (680 px), so the end of "Kenelle tahansa
koordinaattorille odottavat tapaukset…" was hidden to the right; and the reference
"SP-2026-0001" broke at its hyphens over three lines.
"""

import pytest

from tests.e2e.conftest import phone_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CAPTIONS = """() => [...document.querySelectorAll('.table-scroll caption')].map(c => {
  const r = c.getBoundingClientRect();
  return [c.textContent.trim().slice(0, 40), Math.round(r.left), Math.round(r.right)];
})"""

REFERENCE_LINES = """() => [...document.querySelectorAll('main td a')]
  .filter(a => /^SP-\\d{4}-\\d+$/.test(a.textContent.trim()))
  .map(a => [a.textContent.trim(),
             new Set([...a.getClientRects()].map(r => Math.round(r.top))).size])"""


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_the_queue_caption_and_references_fit_at_320_px(
    browser, live_server, submitted_case, coordinator, language
):
    with phone_page(browser, live_server, coordinator, language) as page:
        for path in ("/coordinator/", "/coordinator/queue/", "/cases/"):
            page.goto(path)
            captions = page.evaluate(CAPTIONS)
            assert all(right <= 320 for _text, _left, right in captions), (path, captions)
            references = page.evaluate(REFERENCE_LINES)
            assert references, path
            assert all(lines == 1 for _ref, lines in references), (path, references)
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
