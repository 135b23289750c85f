"""A programme office runs on the product: calls, requests for access, invitations.

From a clean database with only ``seed_demo``: the coordinator creates a call; a
stranger requests access for a new (bilingual) municipality; the coordinator
approves; the invitation e-mail's link sets a password; the new applicant applies
to the call in Swedish and reads the call's Swedish text.
"""

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from sparring import clock
from sparring.accounts.models import AccessRequest
from sparring.models import Call, Case, Organisation, OutboundEmail, User
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Korsholm-2026-sparrning"


def demo_logins(settings, tmp_path) -> dict[str, str]:
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    return json.loads((tmp_path / "demo_logins.json").read_text())


def switch_language(page, to: str) -> None:
    page.select_option("#language-select", to)
    page.locator(".language-switcher button").click()
    page.wait_for_load_state()


def logout(page) -> None:
    page.get_by_role("button", name=re.compile("Kirjaudu ulos|Logga ut")).click()
    page.wait_for_url("**/accounts/login/")


def test_coordinator_call_stranger_request_approval_invitation_swedish_application(
    page, live_server, settings, tmp_path, reference_data
):
    logins = demo_logins(settings, tmp_path)
    settings.SITE_URL = live_server.url  # the links in e-mail lead to this server

    # 1. The coordinator creates a call on the product's own page.
    login(page, "koordinaattori", logins["koordinaattori"])
    page.wait_for_url("**/coordinator/")
    page.get_by_role("navigation", name="Päävalikko").get_by_role("link", name="Haut").click()
    page.wait_for_url("**/coordinator/calls/")
    assert_accessible(page)
    page.get_by_role("link", name="Uusi haku").click()
    now, today = clock.now(), clock.today()
    page.fill("[name=title]", "Kevään 2027 sparraushaku")
    page.fill("[name=title_sv]", "Vårens ansökan om sparrning 2027")
    page.fill("[name=title_en]", "Spring 2027 call for sparring")
    page.fill("[name=description]", "Haku on tarkoitettu työyhteisöjen kehittämiseen.")
    page.fill("[name=description_sv]", "Ansökan gäller utveckling av arbetsgemenskaper.")
    page.fill("[name=opens_at]", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("[name=closes_at]", (now + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("[name=delivery_starts]", today.isoformat())
    page.fill("[name=delivery_ends]", (today + timedelta(days=300)).isoformat())
    page.fill("[name=day_budget]", "60")
    assert_accessible(page)
    page.get_by_role("button", name="Tallenna haku").click()
    page.wait_for_url("**/coordinator/calls/")
    assert page.get_by_role("row", name=re.compile("Kevään 2027 sparraushaku")).is_visible()
    call = Call.objects.get(title="Kevään 2027 sparraushaku")
    logout(page)

    # 2. A stranger asks for access for Mustasaari / Korsholm (in Swedish)...
    page.get_by_role("link", name="Pyydä käyttöoikeutta organisaatiollesi").click()
    page.wait_for_url("**/request-access/")
    switch_language(page, "sv")
    assert page.get_by_role("heading", level=1).inner_text() == "Begär åtkomst för din organisation"
    form = {
        "[name=name_fi]": "Mustasaaren kunta",
        "[name=name_sv]": "Korsholms kommun",
        "[name=first_name]": "Kristina",
        "[name=last_name]": "Kronqvist",
        "[name=title]": "Personalchef",
        "[name=email]": "kristina.kronqvist@korsholm.example",
    }
    for selector, value in form.items():
        page.fill(selector, value)
    page.select_option("[name=kind]", "municipality")
    page.select_option("[name=region]", "15")
    page.select_option("form.stacked [name=language]", "sv")
    # ...first with Espoo's Business ID in another spelling: refused, naming Espoo
    page.fill("[name=business_id]", "FI01012636")
    page.get_by_role("button", name="Skicka begäran").click()
    assert "Esbo stad (0101263-6)" in page.locator(".form-error-summary").inner_text()
    assert not AccessRequest.objects.filter(email=form["[name=email]"]).exists()
    assert_accessible(page)
    page.fill("[name=business_id]", "2106284 1")
    page.get_by_role("button", name="Skicka begäran").click()
    page.wait_for_url("**/request-access/sent/")
    assert_accessible(page)
    switch_language(page, "fi")

    # 3. The coordinator approves it from their home.
    page.goto("/accounts/login/")
    login(page, "koordinaattori", logins["koordinaattori"])
    page.wait_for_url("**/coordinator/")
    request_card = page.locator(".access-request", has_text="Mustasaaren kunta (2106284-1)")
    assert request_card.is_visible()
    assert_accessible(page)
    request_card.get_by_role("button", name="Hyväksy ja kutsu: Mustasaaren kunta").click()
    page.wait_for_url("**/coordinator/")
    assert (
        "on rekisteröity" in page.get_by_role("status").first.inner_text()
        or page.get_by_text("on rekisteröity").is_visible()
    )
    organisation = Organisation.objects.get(business_id="2106284-1")
    assert organisation.name_sv == "Korsholms kommun"
    page.get_by_role("navigation", name="Päävalikko").get_by_role("link", name="Henkilöt").click()
    page.fill("#people-q", "Kronqvist")
    page.get_by_role("button", name="Suodata").click()
    row = page.get_by_role("row", name=re.compile("Kristina Kronqvist"))
    assert "Kutsuttu, ei vielä salasanaa" in row.inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Kutsu henkilö").click()
    assert_accessible(page)
    logout(page)

    # 4. The invitation e-mail (in Swedish) carries the link that sets a password.
    email = OutboundEmail.objects.get(template="invitation", to=form["[name=email]"])
    assert email.language == "sv" and "Korsholms kommun" in email.body_text
    # the link is in the message sent; the outbox copy keeps none after delivery (issue 13)
    sent = next(m for m in mail.outbox if form["[name=email]"] in m.to)
    assert "/invitation/" not in email.body_text
    link = re.search(r"http://\S+/invitation/\S+/", sent.body).group(0)
    assert link.startswith(live_server.url)
    switch_language(page, "sv")
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "Välj ditt lösenord"
    assert_accessible(page)
    page.fill("[name=new_password1]", NEW_PASSWORD)
    page.fill("[name=new_password2]", NEW_PASSWORD)
    page.get_by_role("button", name="Spara lösenordet och logga in").click()
    page.wait_for_url("**/applicant/")

    # 5. The new applicant reads the call in Swedish and applies in Swedish.
    assert page.get_by_role("heading", name="Vårens ansökan om sparrning 2027").is_visible()
    assert page.get_by_text("Ansökan gäller utveckling av arbetsgemenskaper.").is_visible()
    assert page.get_by_text("Kevään 2027 sparraushaku").count() == 0
    assert_accessible(page)
    page.get_by_role("link", name="Ansök: Vårens ansökan om sparrning 2027").click()
    page.wait_for_url(f"**/calls/{call.pk}/apply/")
    assert page.get_by_text("Ansökan gäller utveckling av arbetsgemenskaper.").is_visible()
    page.fill("[name=unit]", "Bildningssektorn")
    page.select_option("[name=sector]", index=1)
    page.select_option("[name=theme]", index=1)
    page.fill("[name=development_need]", "Arbetsgemenskapen behöver gemensamma spelregler.")
    page.fill("[name=goal]", "Överenskomna spelregler och en plan för uppföljning.")
    page.fill("[name=target_group]", "Lärarna och rektorerna")
    page.fill("[name=estimated_participants]", "18")
    page.check("[name=requested_days][value='2']")
    page.check("form.stacked [name=language][value='sv']")
    page.fill("[name=contact_name]", "Kristina Kronqvist")
    page.fill("[name=contact_email]", form["[name=email]"])
    page.fill("[name=staff_representative]", "Förtroendeman Lars Lind")
    assert_accessible(page)
    page.click("button[name=intent][value=submit]")
    page.wait_for_url(re.compile(r".*/cases/\d+/$"))
    case = Case.objects.get(organisation=organisation)
    assert case.status == "submitted" and case.language == "sv" and case.call == call
    assert page.get_by_role("heading", level=1).inner_text().endswith("Korsholms kommun")
    user = User.objects.get(email=form["[name=email]"])
    assert user.organisation == organisation and user.check_password(NEW_PASSWORD)


def test_after_the_make_run_steps_the_tampere_applicant_sees_an_open_call(
    page, settings, tmp_path, reference_data
):
    """README: make run = migrate, seed_programme, seed_demo (the replay takes about a minute)."""
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    call_command("seed_programme", verbosity=0)
    call_command("seed_demo")
    logins = json.loads((tmp_path / "demo_logins.json").read_text())
    login(page, "hakija.tampere", logins["hakija.tampere"])
    page.wait_for_url("**/applicant/")
    cards = page.locator(".card-list .card", has=page.get_by_role("link", name=re.compile("^Hae:")))
    assert cards.count() >= 1
    assert "Sparrausten haku" in cards.first.inner_text()
    assert_accessible(page)
    cards.first.get_by_role("link", name=re.compile("^Hae:")).click()
    page.wait_for_url(re.compile(r".*/calls/\d+/apply/$"))
