"""The staff area (/staff/) in the reader's language, with titles of its own, named
buttons and errors tied to their fields (issue 16 item 4)."""

import re

import pytest
from django.contrib.messages import get_messages

LISTS = [
    "organisation",
    "frameworkagreement",
    "supplier",
    "consultant",
    "conflictofinterest",
    "unavailability",
    "sector",
    "theme",
]


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S)[1].strip()


@pytest.fixture
def staff(coordinator, client_for):
    def client(language):
        c = client_for(coordinator)
        c.cookies["sparring_language"] = language
        return c

    return client


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_staff_page_has_a_title_of_its_own(staff, language, reference_data):
    client = staff(language)
    titles = []
    for model in LISTS:
        for path in (f"/staff/programme/{model}/", f"/staff/programme/{model}/add/"):
            response = client.get(path)
            assert response.status_code == 200, path
            titles.append(title(response.content.decode()))
    assert len(set(titles)) == len(titles), titles
    assert all("Django Material" not in t for t in titles)


@pytest.mark.parametrize(
    ("language", "expected", "english"),
    [
        ("fi", ["Konsultti", "Organisaatio", "Luotu", "Kirjaaja"], ["Consultant", "Created"]),
        ("sv", ["Konsult", "Organisation", "Skapad", "Registrerad av"], ["Consultant", "Created"]),
    ],
)
def test_column_headers_and_buttons_are_in_the_readers_language(staff, language, expected, english):
    page = staff(language).get("/staff/programme/conflictofinterest/").content.decode()
    headers = re.findall(r"<th[^>]*>\s*<span>(.*?)</span>", page, re.S)
    for header in expected:
        assert header in headers, (header, headers)
    for word in english:
        assert word not in headers
    # icon buttons have names; the icon's ligature text is hidden from assistive technology
    for icon in ("more_vert", "arrow_drop_down"):
        button = re.search(r"<button[^>]*>\s*<i[^>]*>" + icon, page)
        assert button and "aria-label=" in button[0], icon
        assert re.search(r'<i class="material-icons" aria-hidden="true">' + icon, page)
    assert "Add new" not in page and ">New<" not in page


def test_the_add_form_says_what_is_added_and_errors_have_a_summary(staff):
    client = staff("fi")
    page = client.get("/staff/programme/organisation/add/").content.decode()
    assert "Uusi tietue: organisaatio" in page
    assert ">\n                    Uusi\n" not in page
    response = client.post(
        "/staff/programme/organisation/add/", {"name_fi": "Testi", "business_id": "123"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert title(html).startswith("Virhe: Uusi tietue: organisaatio")
    summary = re.search(r'<div class="form-error-summary".*?</div>', html, re.S)[0]
    assert 'role="alert"' in summary
    assert '<a href="#id_business_id">Y-tunnus</a>' in summary
    assert '<a href="#id_kind">' in summary
    assert "staff_forms.js" in html  # ties each input to its error once drawn


@pytest.mark.parametrize(
    ("language", "added"), [("fi", "Kulttuuri on lisätty."), ("sv", "Kultur har lagts till.")]
)
def test_the_saved_message_is_translated(staff, language, added):
    response = staff(language).post(
        "/staff/programme/sector/add/",
        {
            "code": "culture",
            "name_fi": "Kulttuuri",
            "name_sv": "Kultur",
            "name_en": "Culture",
            "position": "9",
            "active": "on",
        },
    )
    assert response.status_code == 302
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert added in message and "successfully" not in message


def test_the_change_form_is_titled_by_its_record(staff, reference_data):
    from sparring.models import Sector

    sector = Sector.objects.order_by("pk").first()
    html = staff("fi").get(f"/staff/programme/sector/{sector.pk}/change/").content.decode()
    assert title(html).startswith(f"Muokkaa: {sector.name('fi')} – Toimialat")
    assert "<a>Muokkaa</a>" in html and "Vaihda</a>" not in html
