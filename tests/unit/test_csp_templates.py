"""No inline script, style or event handler on any page (issue 15, item 4): the
Content-Security-Policy allows none (no 'unsafe-inline'); viewflow's inline pieces
on /staff/ carry the request's nonce."""

import re

import pytest
from django.urls import reverse

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.I)
INLINE_STYLE_ELEMENT = re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", re.I)


def inline_pieces(html: str) -> list[str]:
    """The inline script, style and handler snippets a strict CSP would block."""
    found = []
    for pattern in (
        INLINE_SCRIPT,
        INLINE_STYLE_ELEMENT,
        STYLE_ATTRIBUTE,
        EVENT_HANDLER,
        JAVASCRIPT_URL,
    ):
        for match in pattern.finditer(html):
            found.append(html[max(0, match.start() - 20) : match.end() + 60])
    return found


STAFF_MODELS = (
    "organisation",
    "frameworkagreement",
    "supplier",
    "consultant",
    "conflictofinterest",
    "unavailability",
    "sector",
    "theme",
)


@pytest.mark.django_db
def test_staff_pages_have_nothing_inline(coordinator, agreement, supplier, consultant, client_for):
    """viewflow's own templates had inline styles (its logout button); tests/unit/
    test_fuzz_every_url.py checks every other page of every role the same way."""
    client = client_for(coordinator)
    urls = []
    for model in STAFF_MODELS:
        urls += [reverse(f"programme:{model}:list"), reverse(f"programme:{model}:add")]
    bad = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pieces = inline_pieces(response.content.decode())
        if pieces:
            bad[url] = pieces
    assert not bad, bad


def test_the_finder_finds_each_kind():
    html = (
        '<script>x()</script><script src="/s.js"></script><script nonce="n">y()</script>'
        '<style>a{}</style><style nonce="n">b{}</style><p style="color:red">'
        '<button onclick="z()">'
        '<a href="javascript:void(0)">'
    )
    found = inline_pieces(html)
    assert len(found) == 5, found
