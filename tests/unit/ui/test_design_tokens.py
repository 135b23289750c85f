"""The Suomi.fi design tokens (issue 16, item 1): static/css/tokens.css is generated
from the package locked in package-lock.json and committed; every page loads it."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)


def test_committed_tokens_come_from_the_locked_package_version():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    version = lock["packages"]["node_modules/suomifi-design-tokens"]["version"]
    header = (ROOT / "static/css/tokens.css").read_text().splitlines()[0]
    assert f"suomifi-design-tokens@{version}" in header
    assert "--fi-color-brand-base:" in (ROOT / "static/css/tokens.css").read_text()


def test_site_css_takes_its_colours_from_the_tokens():
    css = (ROOT / "static/css/site.css").read_text()
    root = css[css.index(":root {") : css.index("}", css.index(":root {"))]
    assert "var(--fi-color-brand-base)" in root
    assert len(re.findall(r"#[0-9a-fA-F]{3,6}\b", root)) <= 1  # only --warn, explained there


@pytest.mark.django_db
def test_every_page_loads_the_tokens_before_the_site_css(client):
    html = client.get(reverse("login")).content.decode()
    assert html.index("css/tokens.css") < html.index("css/site.css")
