"""Retention: what the privacy notice says is removed is removed, when it says, and the
programme's figures stay as they were (sparring/retention.py)."""

import json
import re
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from sparring import clock
from sparring.cases import services
from sparring.models import Attachment, AuditEvent, Case, OutboundEmail, User
from sparring.retention import CASE_PERSONAL_FIELDS, apply_retention, months_before
from sparring.surveys import services as survey_services
from sparring.surveys.models import SurveyAnswer, SurveyLink
from tests.conftest import application_data
from tests.unit.cases.test_case_flow import expire_due_timers, fresh

pytestmark = pytest.mark.django_db(transaction=True)

PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def stats() -> dict:
    out = StringIO()
    call_command("programme_stats", "--json", stdout=out)
    return json.loads(out.getvalue())


def closed_case_with_survey(reported_case, applicant, coordinator):
    """The reported case with personal links, answers with free texts, closed."""
    from workflow.flows import SparringFlow

    survey_services.survey_add_participants(
        actor=applicant,
        case=reported_case,
        emails="eeva.osallistuja@example.invalid, o@example.invalid",
    )
    eeva = next(m for m in mail.outbox if m.to == ["eeva.osallistuja@example.invalid"])
    survey_services.survey_answer(
        code=eeva.body.split("#code=")[1].split()[0],
        data={"overall": 4, "best": "Eevan mielestä parasta oli työpaja", "improve": "Aikaa lisää"},
        client="192.0.2.1",
        submission_token=uuid.uuid4(),
    )
    for grade in (5, 5, 4, 3):
        SurveyAnswer.objects.create(survey=reported_case.survey, overall=grade, best="Hyvä")
    expire_due_timers(reported_case, SparringFlow.feedback)
    case = fresh(reported_case)
    services.case_close(actor=coordinator, case=case, comment="", version=case.version)
    return fresh(case)


def rejected_case_with_file(applicant, coordinator, open_call):
    case = services.case_create(actor=applicant, call=open_call, data=application_data())
    services.attachment_add(
        actor=applicant,
        case=case,
        upload=SimpleUploadedFile("Matti_Virtanen.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    services.case_submit(actor=applicant, case=fresh(case), version=fresh(case).version)
    services.case_decide(
        actor=coordinator,
        case=fresh(case),
        decision="reject",
        comment="Ei tällä kertaa",
        version=fresh(case).version,
    )
    return fresh(case)


def test_eleven_years_later_personal_data_is_gone_and_the_figures_stay(
    reported_case, applicant, coordinator, consultant, open_call, client_for
):
    closed = closed_case_with_survey(reported_case, applicant, coordinator)
    rejected = rejected_case_with_file(applicant, coordinator, open_call)
    file_name = rejected.attachments.get().file.name
    assert default_storage.exists(file_name)
    assert closed.status == Case.Status.CLOSED and rejected.status == Case.Status.REJECTED
    before = stats()
    assert before["answers"] == 5 and before["average_grade"]

    # a year on: accounts unused for 12 months go, the cases (closed < 10 years) stay
    with clock.travel(clock.now() + timedelta(days=400)):
        apply_retention()
        assert fresh(closed).contact_email == "anna.yhteys@example.invalid"
        assert not User.objects.get(pk=applicant.pk).is_active
        assert User.objects.get(pk=coordinator.pk).email  # coordinators are kept

    with clock.travel(clock.now() + timedelta(days=11 * 366)):
        dry = apply_retention(dry_run=True)
        assert dry.cases_anonymised == 2 and dry.attachments_deleted == 1
        assert fresh(closed).contact_name  # a dry run changes nothing
        result = apply_retention()
        assert result.cases_anonymised == 2
        again = apply_retention()
        events = AuditEvent.objects.filter(action="retention_applied").count()
        assert apply_retention().total() == 0
        assert AuditEvent.objects.filter(action="retention_applied").count() == events
    assert again.total() == 0

    for case in (fresh(closed), fresh(rejected)):
        for field in CASE_PERSONAL_FIELDS:
            assert getattr(case, field) == "", field
        assert case.status in (Case.Status.CLOSED, Case.Status.REJECTED)
    assert not Attachment.objects.exists()
    assert not default_storage.exists(file_name)
    assert not SurveyAnswer.objects.exclude(best="", improve="").exists()
    assert SurveyAnswer.objects.count() == 5
    assert not SurveyLink.objects.exists()
    assert not OutboundEmail.objects.exists()  # older than the case period: the rows too
    user = User.objects.get(pk=applicant.pk)
    assert (user.username, user.email, user.first_name, user.last_name, user.is_active) == (
        f"deleted-{user.pk}",
        "",
        "",
        "",
        False,
    )
    assert not user.has_usable_password()
    consultant_user = User.objects.get(pk=consultant.pk)
    assert consultant_user.username.startswith("deleted-")
    coordinator_user = User.objects.get(pk=coordinator.pk)
    assert coordinator_user.is_active and coordinator_user.email == coordinator.email
    # nothing of the personal fields is left in the audit rows' data either
    dump = json.dumps(list(AuditEvent.objects.values_list("data", flat=True)))
    assert "anna.yhteys@example.invalid" not in dump
    assert "Eevan" not in dump
    assert stats() == before
    # the anonymised cases still open for a coordinator, and the people page too
    page = client_for(coordinator)
    for case in (closed, rejected):
        assert page.get(reverse("sparring:case_detail", args=[case.pk])).status_code == 200


def test_the_outbox_keeps_no_body_or_link_after_the_period(reported_case, applicant, coordinator):
    closed_case_with_survey(reported_case, applicant, coordinator)
    sent = OutboundEmail.objects.exclude(sent_at=None)
    # links and survey codes leave the copy when it is delivered (issue 13) ...
    assert not sent.filter(body_text__contains="http").exists()
    assert sent.exclude(body_text="").exists()
    count = sent.count()
    days = settings.SPARRING_RETENTION_EMAIL_DAYS
    with clock.travel(clock.now() + timedelta(days=days - 1)):
        apply_retention()
    assert sent.exclude(body_text="").exists()  # ... the text after the period, not yet
    with clock.travel(clock.now() + timedelta(days=days + 1)):
        apply_retention()
    assert OutboundEmail.objects.exclude(sent_at=None).count() == count  # the record stays
    for row in OutboundEmail.objects.exclude(sent_at=None):
        assert (row.body_text, row.body_html, row.attachments) == ("", "", [])
        assert row.to and row.subject and row.sent_at
    assert not SurveyLink.objects.exists()  # the survey has closed


def test_the_command_has_a_dry_run(reported_case, applicant, coordinator):
    closed_case_with_survey(reported_case, applicant, coordinator)
    out = StringIO()
    with clock.travel(clock.now() + timedelta(days=11 * 366)):
        call_command("apply_retention", "--dry-run", stdout=out)
    assert "would change cases_anonymised: 1" in out.getvalue()
    assert fresh(reported_case).contact_name


def test_months_before_keeps_the_end_of_month():
    moment = clock.now().replace(year=2027, month=3, day=31)
    assert months_before(moment, 1).date().isoformat() == "2027-02-28"
    assert months_before(moment, 12).date().isoformat() == "2026-03-31"
    assert months_before(moment, 120).year == 2017


NOTICE_PATTERNS = {
    # language: (e-mail days, account months, case years), as the notice words them
    "fi": (r"(\d+) päivän kuluttua", r"käytetty (\d+) kuukauteen", r"kulunut (\d+) vuotta"),
    "sv": (r"raderas (\d+) dagar", r"på (\d+) månader", r"gått (\d+) år"),
    "en": (r"deleted (\d+) days", r"for (\d+) months", r"(\d+) years after a case"),
}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("periods", [(90, 12, 10), (30, 6, 7)])
def test_the_privacy_notice_states_the_periods_the_job_uses(client, language, periods):
    days, months, years = periods
    with override_settings(
        SPARRING_RETENTION_EMAIL_DAYS=days,
        SPARRING_RETENTION_ACCOUNT_MONTHS=months,
        SPARRING_RETENTION_CASE_YEARS=years,
    ):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        html = client.get(reverse("sparring:privacy")).content.decode()
    found = tuple(int(re.search(p, html).group(1)) for p in NOTICE_PATTERNS[language])
    assert found == periods


def test_the_default_periods_are_those_of_the_notice():
    assert (
        settings.SPARRING_RETENTION_EMAIL_DAYS,
        settings.SPARRING_RETENTION_ACCOUNT_MONTHS,
        settings.SPARRING_RETENTION_CASE_YEARS,
    ) == (90, 12, 10)


def test_subject_access_exports_what_is_held_about_one_person(
    reported_case, applicant, coordinator
):
    closed_case_with_survey(reported_case, applicant, coordinator)
    out = StringIO()
    call_command("subject_access", "ANNA.YHTEYS@example.invalid", stdout=out)
    data = json.loads(out.getvalue())
    assert [c["reference"] for c in data["cases"]] == [reported_case.reference]
    assert data["cases"][0]["contact_email"] == "anna.yhteys@example.invalid"
    assert data["emails"] and all(m["to"] == "anna.yhteys@example.invalid" for m in data["emails"])
    out = StringIO()
    call_command("subject_access", applicant.email, stdout=out)
    data = json.loads(out.getvalue())
    assert data["accounts"][0]["username"] == applicant.username
    assert data["actions"]  # the applicant's own actions on the audit trail
    assert data["cases"]  # the case the applicant created
    link_data = json.loads(_export("eeva.osallistuja@example.invalid"))
    # whether the person answered is not held for anyone to see (issue 13)
    (link,) = link_data["survey_links"]
    assert link["case"] == str(reported_case) and "answered" not in link
    assert AuditEvent.objects.filter(action="subject_access_exported").count() == 3


def _export(email: str) -> str:
    out = StringIO()
    call_command("subject_access", email, stdout=out)
    return out.getvalue()
