"""The product's frame on every page: its name as brand and in the title (issue 16, item 1)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_title_and_brand_are_the_products_name_not_the_host(client):
    """Django's LoginView puts the host ("testserver", "127.0.0.1:8141") in site_name."""
    html = client.get(reverse("login")).content.decode()
    assert "<title>Kirjaudu sisään – Sparraus</title>" in html
    assert 'class="brand" href="/">Sparraus</a>' in html
    assert "testserver" not in html.split("<main", 1)[0]
