"""Keyboard only (WCAG 2.1.1, 2.4.3, 2.4.7; issue 16, "Done when"): an applicant files an
application, a coordinator corrects a staff form that came back with an error, and a
participant answers the survey, with Tab, arrow keys, Space, Enter and typing alone:
no click, no fill. Every element that takes focus on the way shows a visible focus
indicator, and a form that comes back with errors puts focus on its error summary.
"""

import pytest

from sparring.models import Case, User
from sparring.surveys.models import SurveyAnswer
from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The focused element and whether its focus can be seen (an outline or a box shadow).
FOCUS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const visible = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
                  || style.boxShadow !== 'none';
  return {tag: el.tagName.toLowerCase(), name: el.getAttribute('name') || '', visible,
          text: (el.textContent || '').trim().slice(0, 40)};
}"""


def tab_to(page, selector: str, limit: int = 200) -> None:
    """Press Tab until an element matching ``selector`` has focus; every stop on the
    way shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        if focus["tag"] != "body":
            assert focus["visible"], f"no visible focus on {focus}"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} cannot be reached with Tab")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def choose_option(page, selector: str, label: str) -> None:
    """A closed select: arrow down until the option shows (Chromium changes the value)."""
    tab_to(page, selector)
    select = page.locator(selector).first
    for _ in range(60):
        if select.evaluate("s => s.options[s.selectedIndex].text.trim()") == label:
            return
        page.keyboard.press("ArrowDown")
    pytest.fail(f"{label} not among {selector}'s options")


def choose_radio(page, name: str, value: str) -> None:
    """Tab into a radio group, arrow to the value, Space to be sure it is checked."""
    tab_to(page, f"[name={name}]")  # the group is one tab stop
    for _ in range(12):
        if page.evaluate("() => document.activeElement.value") == value:
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    assert page.locator(f"[name={name}][value='{value}']").is_checked()


def submit(page, selector: str) -> None:
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def log_in(page, user) -> None:
    """Log in with the keyboard; a coordinator then types the authenticator's code (the
    app set up beforehand, as a returning coordinator has it)."""
    from sparring.accounts import security
    from tests.conftest import second_factor_secret

    if security.needs_second_factor(user):
        second_factor_secret(user)
    page.goto("/accounts/login/")
    type_into(page, "#id_username", user.username)
    type_into(page, "#id_password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if "/accounts/second-factor/" in page.url:
        from sparring.accounts import twofactor

        secret = second_factor_secret(user)
        type_into(page, "[name=code]", twofactor.current_code(secret))
        with page.expect_navigation():
            page.keyboard.press("Enter")


def assert_error_summary_has_focus(page) -> None:
    assert page.evaluate("() => document.activeElement.classList.contains('form-error-summary')")
    assert page.title().startswith("Virhe")


def test_an_application_filed_with_the_keyboard(page, applicant, open_call):
    log_in(page, applicant)
    page.wait_for_url("**/applicant/")
    tab_to(page, f"a[href='/calls/{open_call.pk}/apply/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    submit(page, "button[name=intent][value=submit]")  # empty: errors
    assert_error_summary_has_focus(page)
    assert Case.objects.count() == 0

    type_into(page, "[name=unit]", "Kotihoito, itäinen alue")
    choose_option(page, "[name=sector]", "Sosiaali- ja terveysala")
    choose_option(page, "[name=theme]", "Työn kuormitus ja työhyvinvointi")
    type_into(page, "[name=development_need]", "Kuormitus on kasvanut.")
    type_into(page, "[name=goal]", "Yhteinen näkemys työnjaosta.")
    type_into(page, "[name=target_group]", "Kotihoidon hoitajat")
    type_into(page, "[name=estimated_participants]", "30")
    choose_radio(page, "requested_days", "2")
    type_into(page, "[name=contact_phone]", "040 123 4567")
    type_into(page, "[name=staff_representative]", "Pekka Luottamusmies")
    submit(page, "button[name=intent][value=submit]")

    page.wait_for_url("**/cases/*/")
    case = Case.objects.get()
    assert case.status == Case.Status.SUBMITTED and case.requested_days == 2
    assert_accessible(page)


def test_a_staff_form_with_an_error_corrected_with_the_keyboard(page, coordinator):
    log_in(page, coordinator)
    page.wait_for_url("**/coordinator/")
    page.goto("/coordinator/people/invite/")
    type_into(page, "[name=email]", "not an address")
    type_into(page, "[name=first_name]", "Kalle")
    type_into(page, "[name=last_name]", "Kutsuttu")
    choose_option(page, "[name=role]", "Ohjausryhmän jäsen")
    submit(page, "main form button[type=submit]")

    assert_error_summary_has_focus(page)
    assert page.locator("[name=email]").get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    type_into(page, "[name=email]", "kalle.kutsuttu@example.invalid")
    submit(page, "main form button[type=submit]")

    assert User.objects.filter(email="kalle.kutsuttu@example.invalid").exists()
    assert page.locator(".messages").count() == 1


def test_the_survey_answered_with_the_keyboard(page, reported_case, applicant):
    from sparring.surveys import services as surveys

    (code,) = surveys.survey_issue_codes(actor=applicant, case=reported_case, count=1)
    page.goto("/survey/")
    type_into(page, "[name=code]", code)  # a one-time code (issue 13)
    submit(page, "form.survey button[type=submit]")
    submit(page, "form.survey button[type=submit]")  # nothing chosen: the grade is required
    assert_error_summary_has_focus(page)

    choose_radio(page, "overall", "5")
    choose_radio(page, "facilitation", "4")
    type_into(page, "[name=best]", "Yhteinen keskustelu")
    submit(page, "form.survey button[type=submit]")

    answer = SurveyAnswer.objects.get()
    assert (answer.overall, answer.facilitation) == (5, 4)
    assert_accessible(page)
