"""Assignment, search and the calendar link in Chromium (issue 14, items 3, 4 and 6): a
coordinator finds a case in the queue (oldest first, waiting since), hands it to a named
colleague, the colleague finds it under "My cases", searches a word of its goal and writes
a message the applicant reads and answers; two
cases are handed at once after a confirmation; a consultant makes and revokes a calendar
link. Every page passes axe (WCAG 2.1 A/AA)."""

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from sparring.models import AuditEvent, Case, OutboundEmail
from tests.conftest import make_user
from tests.e2e.conftest import assert_accessible
from tests.unit.cases.test_case_views import submit_new

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def finnish(text) -> str:
    with translation.override("fi"):
        return str(text)


def test_a_coordinator_hands_a_case_to_a_colleague_who_finds_and_searches_it(
    submitted_case, applicant, open_call, coordinator, session_for
):
    colleague = make_user("coordinator", "sanna.kollega", language="fi")
    other = submit_new(
        applicant,
        open_call,
        unit="Ruokapalvelut",
        goal="Keittiöiden vuorosuunnittelu sujuvaksi.",
    )
    page = session_for(coordinator, "/coordinator/")
    assert_accessible(page)
    page.get_by_role("link", name="Koko jono").click()
    page.wait_for_url("**/coordinator/queue/")
    expect(page.get_by_role("heading", name="Jono", level=1)).to_be_visible()
    expect(page.get_by_role("columnheader", name="Odottanut alkaen")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=other.reference).click()
    page.wait_for_url(f"**/cases/{other.pk}/")
    page.get_by_text("Siirrä kollegalle…").click()
    page.get_by_label(re.compile(r"^Kollega")).select_option(label="Sanna Testinen")
    page.get_by_label(re.compile(r"^Viesti kollegalle")).fill("Hoitaisitko tämän?")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Siirrä tapaus").click()
    expect(page.get_by_text("Tapaus siirrettiin kollegallesi")).to_be_visible()
    expect(page.get_by_text("Sanna Testinen on tapauksen vastuuhenkilö.")).to_be_visible()
    assert Case.objects.get(pk=other.pk).handler == colleague
    assert OutboundEmail.objects.filter(to=colleague.email, subject__contains=other.reference)

    mine = session_for(colleague, "/coordinator/")
    mine.get_by_role("link", name="Omat tapaukset").first.click()
    mine.wait_for_url("**/coordinator/my-cases/")
    expect(mine.get_by_role("link", name=other.reference)).to_be_visible()
    expect(mine.get_by_role("link", name=submitted_case.reference)).to_have_count(0)
    assert_accessible(mine)

    mine.goto("/cases/")
    mine.get_by_role("textbox", name="Hakusana").fill("vuorosuunnittelu")
    with mine.expect_navigation():
        mine.get_by_role("button", name="Suodata").click()
    expect(mine.get_by_role("link", name=other.reference)).to_be_visible()
    expect(mine.get_by_role("link", name=submitted_case.reference)).to_have_count(0)
    assert_accessible(mine)
    mine.get_by_role("link", name=other.reference).click()
    mine.wait_for_url(f"**/cases/{other.pk}/")
    expect(mine.get_by_text("Siirretty kollegalle")).to_be_visible()  # on the timeline

    # ... and writes to the applicant, who reads it and answers (the case conversation);
    # the answer "to the coordinators" goes to the responsible coordinator only.
    from tests.e2e.test_conversation_in_browser import write

    write(mine, "Hakija ja koordinaattorit", "Montako osallistujaa keittiöistä tulee?")
    reader = session_for(applicant, "/applicant/")
    reader.goto(f"/cases/{other.pk}/")
    conversation = reader.locator("#conversation")
    expect(conversation.get_by_text("Montako osallistujaa keittiöistä tulee?")).to_be_visible()
    assert_accessible(reader)
    write(reader, "Koordinaattorit", "Noin 12 henkeä.")
    mine.goto(f"/cases/{other.pk}/")
    expect(mine.locator("#conversation").get_by_text("Noin 12 henkeä.")).to_be_visible()
    told = OutboundEmail.objects.filter(template="case_event").order_by("-pk").first()
    assert told.to == colleague.email


def test_two_cases_are_handed_at_once_after_a_confirmation(
    submitted_case, applicant, open_call, coordinator, session_for
):
    colleague = make_user("coordinator", "sanna.kollega")
    second = submit_new(applicant, open_call, unit="Siivous")
    page = session_for(coordinator, "/coordinator/")
    page.goto("/coordinator/queue/")
    page.get_by_label(f"Valitse {submitted_case.reference}").check()
    page.get_by_label(f"Valitse {second.reference}").check()
    page.get_by_label("Kollega").select_option(label="Sanna Testinen")
    with page.expect_navigation():
        page.get_by_role("button", name="Siirrä…").click()
    expect(page.get_by_role("heading", name="Siirretäänkö tapaukset?")).to_be_visible()
    assert_accessible(page)
    assert not AuditEvent.objects.filter(action="case_handed").exists()
    with page.expect_navigation():
        page.get_by_role("button", name="Kyllä, siirrä ne henkilölle Sanna Testinen").click()
    expect(page.get_by_text("2 tapausta siirrettiin henkilölle Sanna Testinen")).to_be_visible()
    assert set(Case.objects.filter(handler=colleague).values_list("pk", flat=True)) == {
        submitted_case.pk,
        second.pk,
    }


def test_a_consultant_makes_and_revokes_a_calendar_link(consultant, session_for):
    page = session_for(consultant, "/consultant/")
    page.get_by_role("link", name="Kalenterilinkkisi").click()
    page.wait_for_url("**/consultant/calendar/")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Luo kalenterilinkki").click()
    address = page.get_by_label("Kalenteriosoite").input_value()
    assert "/calendar/" in address and address.endswith(".ics")
    assert_accessible(page)
    assert page.request.get(address).status == 200
    with page.expect_navigation():
        page.get_by_role("button", name="Peru linkki").click()
    expect(page.get_by_text("Kalenterilinkki peruttiin")).to_be_visible()
    assert page.request.get(address).status == 404
