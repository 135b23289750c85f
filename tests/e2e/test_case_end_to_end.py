"""One sparring case driven through every step in Chromium, by the applicant,
a coordinator and a consultant, each in their own browser session."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from sparring.models import Case, SessionDay
from tests.e2e.conftest import assert_accessible
from workflow.flows import SparringFlow
from workflow.tasks import fire_workflow_timers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def confirm_days_off(page, submit: str, done: str) -> None:
    """When the suite runs on a weekend or a holiday, the page asks to confirm the day: do."""
    page.wait_for_function(
        "(done) => location.pathname.endsWith(done)"
        " || document.querySelector('input[name$=non_working_confirmed]')",
        arg=done,
    )
    boxes = page.locator("input[name$=non_working_confirmed]")
    for n in range(boxes.count()):
        boxes.nth(n).check()
    if boxes.count():
        page.locator(submit).last.click()


def open_case(page, case_id):
    page.goto(f"/cases/{case_id}/")
    assert_accessible(page)
    snap(page)


def snap(page):
    """With SCREENSHOT_DIR set, keep a full-page screenshot of each case page visited."""
    import os

    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        snap.count = getattr(snap, "count", 0) + 1
        page.screenshot(path=f"{folder}/case-{snap.count:02d}.png", full_page=True)


def submit_form(page, action):
    page.locator(f"form[action$='/do/{action}/'] button[type=submit]").click()
    page.wait_for_load_state()


def current_case():
    return Case.objects.get()


def test_one_case_through_every_step(session_for, applicant, coordinator, consultant, open_call):
    applicant_page = session_for(applicant)
    coordinator_page = session_for(coordinator)
    consultant_page = session_for(consultant)

    # -- the applicant applies ----------------------------------------------------
    page = applicant_page
    assert_accessible(page)
    page.locator(f"a[href='/calls/{open_call.pk}/apply/']").click()
    assert_accessible(page)
    page.locator("button[name=intent][value=submit]").click()  # empty form
    assert page.locator(".form-error-summary").is_visible()
    assert Case.objects.count() == 0
    assert_accessible(page)
    page.fill("[name=unit]", "Kotihoito, itäinen alue")
    page.select_option("[name=sector]", label="Sosiaali- ja terveysala")
    page.select_option("[name=theme]", label="Työn kuormitus ja työhyvinvointi")
    page.fill("[name=development_need]", "Kuormitus on kasvanut ja työnjako on epäselvä.")
    page.fill("[name=goal]", "Yhteinen näkemys työnjaosta.")
    page.fill("[name=target_group]", "Kotihoidon hoitajat ja esihenkilöt")
    page.fill("[name=estimated_participants]", "30")
    page.check("[name=requested_days][value='2']")
    page.fill("[name=contact_phone]", "040 123 4567")
    page.fill("[name=staff_representative]", "Pekka Luottamusmies, pääluottamusmies")
    page.locator("button[name=intent][value=submit]").click()
    page.wait_for_url("**/cases/*/")
    case = current_case()
    assert case.status == Case.Status.SUBMITTED
    assert case.reference in page.locator("h1").inner_text()
    assert_accessible(page)
    assert {m.to[0] for m in mail.outbox} >= {applicant.email, coordinator.email}

    # -- a coordinator returns it for amendment ------------------------------------
    page = coordinator_page
    page.goto("/coordinator/")
    assert case.reference in page.locator("main").inner_text()  # in the queue
    open_case(page, case.pk)
    page.check("form[action$='/do/decide/'] [name=decision][value=return]")
    submit_form(page, "decide")  # no comment: refused
    assert page.locator(".form-error-summary").is_visible()
    assert current_case().status == Case.Status.SUBMITTED
    page.check("form[action$='/do/decide/'] [name=decision][value=return]")
    page.fill("form[action$='/do/decide/'] [name=comment]", "Tarkentakaa tavoitetta, kiitos.")
    submit_form(page, "decide")
    assert current_case().status == Case.Status.RETURNED
    assert_accessible(page)

    # -- the applicant amends and resubmits -----------------------------------------
    page = applicant_page
    open_case(page, case.pk)
    assert "Tarkentakaa tavoitetta" in page.locator(".timeline").inner_text()
    page.locator(f"a[href='/cases/{case.pk}/edit/']").click()
    page.fill("[name=goal]", "Yhteinen näkemys työnjaosta ja kuormituksen keventämisestä.")
    page.locator("button[name=intent][value=submit]").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert current_case().status == Case.Status.SUBMITTED

    # -- the coordinator approves and calls off the consultant ---------------------------
    page = coordinator_page
    open_case(page, case.pk)
    page.check("form[action$='/do/decide/'] [name=decision][value=approve]")
    page.check("form[action$='/do/decide/'] [name=approved_days][value='2']")
    submit_form(page, "decide")
    assert current_case().status == Case.Status.APPROVED
    assert_accessible(page)
    page.select_option(
        "form[action$='/do/call_off/'] [name=consultant]", value=str(consultant.consultant.pk)
    )
    submit_form(page, "call_off")
    assert current_case().status == Case.Status.OFFERED

    # a stale page: the decision form from before cannot decide again
    response = page.request.post(
        f"/cases/{case.pk}/do/decide/",
        form={"decision": "reject", "comment": "x", "version": "1"},
        headers={
            "X-CSRFToken": next(
                c["value"] for c in page.context.cookies() if c["name"] == "csrftoken"
            )
        },
        max_redirects=0,
    )
    assert response.status in (302, 400, 403)
    assert current_case().status == Case.Status.OFFERED

    # -- the consultant accepts and proposes dates ----------------------------------------
    page = consultant_page
    page.goto("/consultant/")
    assert case.reference in page.locator("main").inner_text()
    open_case(page, case.pk)
    page.check("form[action$='/do/answer/'] [name=answer][value=accept]")
    submit_form(page, "answer")
    assert current_case().status == Case.Status.SCHEDULING
    page.locator(f"a[href='/cases/{case.pk}/schedule/']").click()
    assert_accessible(page)
    today = timezone.localdate()
    for n, day in ((1, today), (2, today + timedelta(days=1))):
        page.fill(f"[name=day{n}-date]", day.isoformat())
        page.fill(f"[name=day{n}-start_time]", "09:00")
        page.fill(f"[name=day{n}-end_time]", "15:30")
        page.fill(f"[name=day{n}-place]", "Kaupungintalo, kokoushuone 3")
    page.locator("form button[type=submit]").last.click()
    confirm_days_off(page, "form button[type=submit]", f"/cases/{case.pk}/")
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert SessionDay.objects.filter(status="proposed").count() == 2

    # -- the applicant confirms; both sides get the invitation ---------------------------
    mail.outbox.clear()
    page = applicant_page
    open_case(page, case.pk)
    page.check("form[action$='/do/confirm/'] [name=answer][value=confirm]")
    submit_form(page, "confirm")
    assert current_case().status == Case.Status.DELIVERY
    invitations = {m.to[0]: a for m in mail.outbox for a in m.attachments if a[0].endswith(".ics")}
    assert set(invitations) >= {applicant.email, consultant.email}
    ics = invitations[consultant.email][1]
    assert ics.count("BEGIN:VEVENT") == 2 and "METHOD:REQUEST" in ics
    assert today.strftime("%Y%m%d") in ics

    # -- delivery: day 1 held, day 2 moved, then held ---------------------------------
    page = consultant_page
    open_case(page, case.pk)
    first, second = SessionDay.objects.filter(status="confirmed").order_by("date")
    page.fill(f"#participants-{first.pk}", "20")
    page.locator(f"form[action$='/days/{first.pk}/held/'] button").click()
    page.wait_for_load_state()
    assert SessionDay.objects.get(pk=first.pk).status == "held"
    mail.outbox.clear()
    page.locator(f"a[href='/days/{second.pk}/change/']").click()
    assert_accessible(page)
    page.fill("form:has(input[value=move]) [name=date]", (today + timedelta(days=7)).isoformat())
    page.fill("form:has(input[value=move]) [name=reason]", "Kouluttajan sairastuminen")
    page.locator("form:has(input[value=move]) button").click()
    confirm_days_off(page, "form:has(input[value=move]) button", f"/cases/{case.pk}/")
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert SessionDay.objects.get(pk=second.pk).date == today + timedelta(days=7)
    assert any("SEQUENCE:1" in a[1] for m in mail.outbox for a in m.attachments)
    SessionDay.objects.filter(pk=second.pk).update(date=today)  # a week passes
    page.reload()
    page.fill(f"#participants-{second.pk}", "15")
    page.locator(f"form[action$='/days/{second.pk}/held/'] button").click()
    page.wait_for_load_state()
    assert current_case().status == Case.Status.REPORTING

    # -- the report -------------------------------------------------------------
    page.locator(f"a[href='/cases/{case.pk}/report/']").click()
    assert_accessible(page)
    assert page.locator("[name=participants]").input_value() == "35"
    page.fill("[name=refined_goal]", "Työnjaon selkiyttäminen kotihoidossa")
    page.fill("[name=implementation]", "Kaksi työpajaa ja välitehtävä")
    page.fill("[name=themes_covered]", "Kuormitus, työnjako, pelisäännöt")
    page.fill("[name=results]", "Yhteiset pelisäännöt ja työnjakomalli")
    page.fill("[name=follow_up]", "Seurantapalaveri keväällä")
    page.locator("main form button[name=intent][value=submit]").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert current_case().status == Case.Status.FEEDBACK

    # -- the feedback period ends (the beat sweep fires the timer) -----------------------
    Task.objects.filter(
        process_id=case.process_id, flow_task=SparringFlow.feedback, status=STATUS.SCHEDULED
    ).update(scheduled=timezone.now() - timedelta(seconds=1))
    assert fire_workflow_timers()["timers"] == 1

    # -- the coordinator closes the case ---------------------------------------------
    page = coordinator_page
    open_case(page, case.pk)
    submit_form(page, "close")
    assert current_case().status == Case.Status.CLOSED
    assert_accessible(page)
    actions = page.locator(".timeline li").evaluate_all("items => items.map(i => i.dataset.action)")
    for step in (
        "case_submitted",
        "case_returned",
        "case_resubmitted",
        "case_approved",
        "case_offered",
        "offer_accepted",
        "dates_proposed",
        "dates_confirmed",
        "day_held",
        "day_rescheduled",
        "report_submitted",
        "feedback_ended",
        "case_closed",
    ):
        assert step in actions, step
    # every event reads as a label in Finnish, Swedish and English, never as its stored key
    seen = {}
    for language in ("fi", "sv", "en"):
        page.select_option("#language-select", language)
        page.locator(".language-switcher button").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == language
        labels = page.locator(".timeline li strong").all_inner_texts()
        assert len(labels) == len(actions)
        assert not set(labels) & {*actions, "Other event", "Muu tapahtuma"}
        assert all(label.strip() and "_" not in label for label in labels), labels
        seen[language] = labels
    assert seen["fi"] != seen["sv"] != seen["en"]
    page.select_option("#language-select", "fi")
    page.locator(".language-switcher button").click()
    page.wait_for_load_state()
    chart = page.request.get(f"/cases/{case.pk}/chart.svg")
    assert chart.ok and "<svg" in chart.text()

    # the applicant sees the closed case and the report
    page = applicant_page
    open_case(page, case.pk)
    assert "Yhteiset pelisäännöt ja työnjakomalli" in page.locator("main").inner_text()
    # ... and downloads it as PDF
    with page.expect_download() as download_info:
        page.locator(f"a[href='/cases/{case.pk}/report-v1.pdf']").click()
    download = download_info.value
    assert download.suggested_filename == f"sparrausraportti-{case.reference}-v1.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
