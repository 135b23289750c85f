"""An organisation publishes a development act with consent, a coordinator approves it,
and an anonymous visitor finds it by theme in Swedish."""

import pytest

from sparring.cases.states import CaseStatus
from sparring.models import Case
from sparring.outcomes.models import DevelopmentAct
from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_act_from_consent_to_the_public_page(
    page, browser, live_server, submitted_case, applicant, coordinator
):
    Case.objects.filter(pk=submitted_case.pk).update(status=CaseStatus.CLOSED)
    case = Case.objects.get(pk=submitted_case.pk)

    # the applicant writes the act; without consent nothing is sent
    login(page, applicant.username, PASSWORD)
    page.wait_for_url("**/applicant/")
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("link", name="Kirjoita kehittämisteko").click()
    assert_accessible(page)
    page.get_by_label("Otsikko").fill("Yhteiset pelisäännöt osastolle")
    page.get_by_label("Mitä tehtiin").fill("Kaksi työpajaa koko henkilöstön kanssa.")
    page.get_by_label("Mikä muuttui").fill("Vuorolistat tehdään yhdessä.")
    page.get_by_role("button", name="Lähetä julkaistavaksi").click()
    assert page.locator(".form-error-summary").is_visible()
    assert_accessible(page)
    assert not DevelopmentAct.objects.exists()
    page.get_by_label("Annan organisaationi puolesta suostumuksen", exact=False).check()
    page.get_by_role("button", name="Lähetä julkaistavaksi").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert DevelopmentAct.objects.get().status == DevelopmentAct.Status.SUBMITTED

    # a coordinator reads and publishes it
    staff = browser.new_context(base_url=live_server.url, locale="fi-FI").new_page()
    login(staff, coordinator.username, PASSWORD)
    staff.wait_for_url("**/coordinator/")
    staff.get_by_role("link", name="Hyväksyntää odottavat kehittämisteot").click()
    assert_accessible(staff)
    staff.get_by_role("button", name="Julkaise").click()
    staff.wait_for_load_state()
    assert DevelopmentAct.objects.get().status == DevelopmentAct.Status.PUBLISHED
    staff.context.close()

    # an anonymous visitor, in Swedish, finds it by its theme
    visitor = browser.new_context(base_url=live_server.url, locale="sv-SE").new_page()
    visitor.goto("/acts/")
    assert visitor.locator("html").get_attribute("lang") == "sv"
    assert_accessible(visitor)
    visitor.get_by_label("Tema").select_option(label=case.theme.name("sv"))
    visitor.get_by_role("button", name="Filtrera").click()
    visitor.get_by_role("link", name="Yhteiset pelisäännöt osastolle").click()
    assert visitor.get_by_role("heading", level=1).inner_text() == "Yhteiset pelisäännöt osastolle"
    assert visitor.get_by_text(case.theme.name("sv")).count() >= 1
    assert_accessible(visitor)
    feed = visitor.request.get("/acts/feed.atom")
    assert feed.ok and "Yhteiset pelisäännöt osastolle" in feed.text()
    visitor.context.close()


def test_the_follow_up_survey_in_the_browser(page, live_server, reported_case, coordinator):
    from datetime import timedelta

    from django.core import mail

    from sparring import clock
    from sparring.outcomes import followup
    from sparring.outcomes.models import FollowUpAnswer
    from tests.unit.outcomes.test_follow_up import closed_through_the_flow, links_in_outbox

    case = closed_through_the_flow(reported_case, coordinator)
    mail.outbox.clear()
    with clock.travel(followup.add_months(case.closed_at, 4) + timedelta(hours=1)):
        followup.follow_up_sweep()
    token = links_in_outbox(case.contact_email)[0]
    page.goto(f"/follow-up/{token}/")
    assert_accessible(page)
    page.get_by_role("button", name="Lähetä vastaus").click()
    assert page.locator(".form-error-summary").is_visible()
    assert_accessible(page)
    page.check("[name=action_0][value=yes]")
    page.check("[name=action_1][value=partly]")
    page.get_by_role("radio", name="4", exact=True).check()
    page.get_by_role("radio", name="Kyllä", exact=True).check()
    page.get_by_label("Mikä työyhteisössänne on muuttunut sparrauksen jälkeen?").fill(
        "Palaverit ovat lyhyempiä."
    )
    page.get_by_role("button", name="Lähetä vastaus").click()
    page.wait_for_url("**/follow-up/thanks/")
    assert_accessible(page)
    answer = FollowUpAnswer.objects.get()
    assert (answer.impact, answer.recommend, answer.actions_done) == (4, True, ["yes", "partly"])
