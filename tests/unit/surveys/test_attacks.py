"""Issue 13's attacks played against the survey: the reminder inference, stuffing, the
70-person office, two routes, and tokens left in the outbox or the logs.

(The differencing attack: tests/unit/surveys/test_disclosure.py.)
"""

import logging
import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from sparring.audit import AuditEvent
from sparring.log_redaction import RedactTokens, redact
from sparring.models import OutboundEmail
from sparring.surveys import services as surveys
from sparring.surveys.models import SurveyAnswer

pytestmark = pytest.mark.django_db(transaction=True)

GOOD = {"overall": "5", "goal_reached": "4", "facilitation": "5", "usefulness": "4", "best": ""}
PROXY = "10.0.0.2"  # our reverse proxy
OFFICE = "198.51.100.7"  # one office network's public address


def answer(client, code, **extra):
    return client.post("/survey/", {**GOOD, "code": code, "step": "answer"}, **extra)


def mailed_codes(applicant, case, *addresses) -> dict[str, str]:
    mail.outbox.clear()
    surveys.survey_add_participants(actor=applicant, case=case, emails=" ".join(addresses))
    return {m.to[0]: m.body.split("#code=")[1].split()[0] for m in mail.outbox}


def test_reminder_inference_after_one_personal_answer_reveals_no_one(
    reported_case, applicant, coordinator, client_for
):
    """Three mailed codes, one used; the coordinator looks and reminds: the page shows no
    grade of the one answer and no one's address or status; the reminder says no count."""
    codes = mailed_codes(
        applicant, reported_case, "a@example.invalid", "b@example.invalid", "c@example.invalid"
    )
    assert answer(Client(), codes["a@example.invalid"], overall="2").status_code == 200
    staff = client_for(coordinator)
    mail.outbox.clear()
    reminded = staff.post(f"/cases/{reported_case.pk}/survey/remind/", follow=True)
    page = reminded.content.decode()
    for address in codes:
        assert address not in page
    survey_section = page.split('id="survey-heading"')[1].split("</section>")[0]
    # the average of one answer, as a number of its own (not the "02.04" of a time of day)
    assert not re.search(r"(?<![\d.:,])2[.,]0(?!\d)", survey_section)
    assert not re.search(r"\b2\b[^<]*participants who have not answered", page)
    assert "1 answer" in survey_section or "1 vastaus" in survey_section
    # the system reminded the two others; the coordinator was told neither who nor how many
    assert sorted(m.to[0] for m in mail.outbox) == ["b@example.invalid", "c@example.invalid"]
    event = AuditEvent.objects.get(action="survey_reminders_sent")
    assert not event.data
    results = surveys.survey_results(user=coordinator, case=reported_case)
    assert results.overall is None and results.texts == []


def test_stuffing_one_person_cannot_answer_twelve_times(reported_case, applicant):
    (code,) = surveys.survey_issue_codes(actor=applicant, case=reported_case, count=1)
    for n in range(12):
        browser = Client()  # a new browser each time: no cookie to clear
        answer(browser, code, REMOTE_ADDR=f"203.0.113.{n}")
        answer(browser, "", REMOTE_ADDR=f"203.0.113.{n}")  # no code
        # the old shared case link takes no answer either
        browser.post("/survey/old-shared-token/", {**GOOD, "step": "answer"})
    assert SurveyAnswer.objects.count() == 1


def test_seventy_participants_from_one_office_are_all_accepted(reported_case, applicant, settings):
    """70 people behind one office address and our proxy, some mistyping their code once:
    every answer is stored (no limit counts correct codes per address)."""
    settings.SPARRING_TRUSTED_PROXY_HOPS = 1
    codes = surveys.survey_issue_codes(actor=applicant, case=reported_case, count=70)
    office = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": OFFICE}
    for n, code in enumerate(codes):
        person = Client()
        if n % 7 == 0:  # a typo first
            assert person.post("/survey/", {"code": code[:-1] + "Z9"}, **office).status_code == 400
        assert person.post("/survey/", {"code": code}, **office).status_code == 200
        assert answer(person, code, **office).status_code == 200, n
    assert SurveyAnswer.objects.filter(survey=reported_case.survey).count() == 70


def test_a_guesser_is_stopped_without_stopping_anyone_else(
    reported_case, applicant, settings, monkeypatch
):
    settings.SPARRING_TRUSTED_PROXY_HOPS = 1
    monkeypatch.setattr(surveys, "WRONG_CODES_PER_CLIENT", 5)
    good, other = surveys.survey_issue_codes(actor=applicant, case=reported_case, count=2)
    guesser = Client()
    for n in range(5):
        # a forged X-Forwarded-For entry changes nothing: the proxy's own entry counts
        forged = f"192.0.2.{n}, {OFFICE}"
        guesser.post(
            "/survey/",
            {"code": f"AAAA-BBBB-CC{n}C"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=forged,
        )
    stopped = answer(guesser, good, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {OFFICE}")
    assert stopped.status_code == 429
    assert 'name="overall"' in stopped.content.decode()  # the answer is kept in the form
    elsewhere = answer(Client(), other, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert elsewhere.status_code == 200
    assert SurveyAnswer.objects.count() == 1


def test_the_per_survey_limit_fits_a_hundred_person_session():
    assert surveys.CODE_CHECKS_PER_SURVEY >= 2 * 100  # code page and answer, per person
    assert surveys.WRONG_CODES_PER_CLIENT >= 50


def test_a_person_answering_by_two_routes_is_counted_once(reported_case, applicant):
    """A mailed code and its reminder's code are one participant: one answer."""
    codes = mailed_codes(applicant, reported_case, "a@example.invalid")
    first = codes["a@example.invalid"]
    mail.outbox.clear()
    surveys.survey_remind(actor=applicant, case=reported_case)
    second = mail.outbox[0].body.split("#code=")[1].split()[0]
    assert first != second
    assert answer(Client(), first).status_code == 200
    assert answer(Client(), second).status_code == 409
    assert SurveyAnswer.objects.count() == 1


def test_the_outbox_keeps_no_usable_survey_or_reset_token_after_delivery(
    reported_case, applicant, client
):
    codes = mailed_codes(applicant, reported_case, "a@example.invalid", "b@example.invalid")
    client.post("/accounts/password-reset/", {"email": applicant.email})
    reset = re.search(r"/accounts/password-reset/[^/\s]+/[^/\s]+/", mail.outbox[-1].body).group(0)
    stored = " ".join(
        f"{e.body_text} {e.body_html}" for e in OutboundEmail.objects.exclude(sent_at=None)
    )
    assert OutboundEmail.objects.filter(sent_at=None).count() == 0
    for code in codes.values():
        assert code not in stored and code.replace("-", "") not in stored
    assert "#code=" not in stored and reset not in stored and "http" not in stored
    # the codes still work for their owners (from the mail they received)
    assert answer(Client(), codes["a@example.invalid"]).status_code == 200


def test_no_token_reaches_a_path_or_a_log(reported_case, applicant):
    """The survey's requests carry the code in the body only; the log filter removes
    tokens from reset, invitation and old survey paths."""
    (code,) = surveys.survey_issue_codes(actor=applicant, case=reported_case, count=1)
    browser = Client()
    for response in (
        browser.get("/survey/"),
        browser.post("/survey/", {"code": code}),
        answer(browser, code),
    ):
        request = response.wsgi_request
        assert code not in request.get_full_path()
        assert code not in str(request.META.get("QUERY_STRING"))
    for line in (
        'GET /accounts/password-reset/MQ/cbx-4f1e8a9b/ HTTP/1.1" 302',
        "Not Found: /invitation/Zm9vYmFy123/",
        "GET /survey/oldToken_123/ 200",
    ):
        assert not re.search(r"cbx-4f1e8a9b|Zm9vYmFy123|oldToken_123", redact(line))
    record = logging.LogRecord(
        "django.server", logging.INFO, "", 0, '"GET %s" 200', ("/invitation/secret42/",), None
    )
    RedactTokens().filter(record)
    assert "secret42" not in record.getMessage()
    console = settings.LOGGING["handlers"]["console"]
    assert "redact_tokens" in console["filters"]
    assert settings.LOGGING["loggers"]["django.server"]["handlers"] == ["console"]


def test_a_delivered_invitation_keeps_no_usable_link_in_the_outbox(coordinator, organisation):
    from sparring.accounts import services as accounts
    from sparring.models import User

    mail.outbox.clear()
    accounts.user_invite(
        actor=coordinator,
        email="liisa.uusi@tampere.example",
        role=User.Role.APPLICANT,
        first_name="Liisa",
        last_name="Uusi",
        organisation=organisation,
        language="fi",
    )
    (sent,) = mail.outbox
    token = re.search(r"/invitation/([^/\s]+)/", sent.body).group(1)
    stored = OutboundEmail.objects.get(to="liisa.uusi@tampere.example")
    assert stored.sent_at is not None
    assert token not in stored.body_text + stored.body_html
    assert accounts.invitation_find(token) is not None  # the person's own mail still works
