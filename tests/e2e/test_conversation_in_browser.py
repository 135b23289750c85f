"""The case conversation in Chromium (issue 14.5): a coordinator writes to the applicant,
the applicant sees the unread marker, then not, and answers; the coordinator reads the
answer. Every page passes axe."""

import re

import pytest

from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def snap(page, name: str) -> None:
    """With SCREENSHOT_DIR set, keep a full-page screenshot (looked at by hand)."""
    import os

    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=f"{folder}/conversation-{name}.png", full_page=True)


def write(page, audience: str, text: str) -> None:
    form = page.locator("form[action$='/messages/']")
    form.get_by_label(audience).check()
    form.get_by_label(re.compile(r"^Viesti( \(pakollinen\))?$")).fill(text)
    form.get_by_role("button", name="Lähetä").click()
    page.wait_for_load_state()


def test_coordinator_and_applicant_talk_on_the_case(
    session_for, submitted_case, coordinator, applicant
):
    case_url = f"/cases/{submitted_case.pk}/"

    coordinator_page = session_for(coordinator)
    coordinator_page.goto(case_url)
    assert_accessible(coordinator_page)
    write(coordinator_page, "Hakija ja koordinaattorit", "Voisitteko tarkentaa kohderyhmän kokoa?")
    assert coordinator_page.get_by_text("Viesti lähetettiin.").is_visible()
    write(
        coordinator_page,
        "Sisäinen muistiinpano (vain koordinaattorit)",
        "Sisäinen: budjetti riittää.",
    )

    applicant_page = session_for(applicant)
    # The home lists the case under "new messages"; the link opens its conversation.
    box = applicant_page.locator("section.unread-messages")
    assert box.get_by_role("heading", name="Uudet viestit").is_visible()
    assert box.locator(".unread-count").inner_text() == "1 uusi"
    assert_accessible(applicant_page)
    box.get_by_role("link").click()
    applicant_page.wait_for_url(f"**{case_url}#conversation")
    conversation = applicant_page.locator("#conversation")
    assert conversation.get_by_text("Voisitteko tarkentaa kohderyhmän kokoa?").is_visible()
    assert conversation.locator(".unread-marker").count() == 1
    assert conversation.locator(".unread-count").inner_text() == "1 uusi"
    assert "budjetti riittää" not in applicant_page.content()
    assert_accessible(applicant_page)
    snap(applicant_page, "applicant-unread")

    applicant_page.reload()
    conversation = applicant_page.locator("#conversation")
    assert conversation.get_by_text("Voisitteko tarkentaa kohderyhmän kokoa?").is_visible()
    assert conversation.locator(".unread-marker").count() == 0
    assert conversation.locator(".unread-count").count() == 0

    # An empty message is refused with a clear error, nothing lost, no 500.
    form = applicant_page.locator("form[action$='/messages/']")
    form.get_by_role("button", name="Lähetä").click()
    applicant_page.wait_for_load_state()
    assert applicant_page.get_by_text("Kirjoita ensin viesti: se on tyhjä.").first.is_visible()
    assert_accessible(applicant_page)

    applicant_page.goto("/applicant/")
    assert applicant_page.locator("section.unread-messages").count() == 0
    applicant_page.goto(case_url)
    write(applicant_page, "Koordinaattorit", "Noin 25 hoitajaa ja 3 esihenkilöä.")
    assert (
        applicant_page.locator("#conversation")
        .get_by_text("Noin 25 hoitajaa ja 3 esihenkilöä.")
        .is_visible()
    )

    coordinator_page.goto(case_url)
    conversation = coordinator_page.locator("#conversation")
    answer = conversation.locator(".case-message", has_text="Noin 25 hoitajaa")
    assert answer.locator(".unread-marker").count() == 1
    assert conversation.get_by_text("Sisäinen: budjetti riittää.").is_visible()
    assert_accessible(coordinator_page)
    snap(coordinator_page, "coordinator")
    coordinator_page.set_viewport_size({"width": 320, "height": 800})
    assert coordinator_page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    snap(coordinator_page, "coordinator-320")
