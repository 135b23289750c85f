"""<html lang> is the page's language (session 10, item 4): hyphenation of headings
(``hyphens: auto``) and screen readers' pronunciation go by it."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_html_element_names_the_pages_language(language, applicant, client_for):
    client = client_for(applicant)
    client.cookies["sparring_language"] = language
    html = client.get("/applicant/").content.decode()
    assert f'<html lang="{language}">' in html
