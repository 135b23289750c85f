"""Every link in every e-mail opens for its recipient; subjects carry no stray whitespace
(issue 18, item 7).

Participants have no account: a link to ``/cases/<id>/`` sends them to a login
they cannot pass. The test renders every message kind of ``notifications.MESSAGES``
for every kind of recipient, then opens each link as that recipient.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from procurement.models import Offer
from sparring.models import OutboundEmail, User
from sparring.notifications import MESSAGES, Recipient, applicant_side, notify
from sparring.surveys.models import SurveyLink
from tests.conftest import make_consultant
from tests.unit.procurement.test_minicompetition import competition_setup  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"'<>]+")


def links_in(email: OutboundEmail) -> set[str]:
    return set(LINK.findall(email.body_text)) | set(LINK.findall(email.body_html))


def opens_for(user: User | None, url: str) -> tuple[int, Client]:
    assert url.startswith(settings.SITE_URL.rstrip("/") + "/"), url
    client = Client()
    if user is not None:
        client.force_login(user)
    parts = urlsplit(url)
    # no redirects followed: a login page answers 200 too
    return client.get(parts.path).status_code, client


@pytest.fixture
def recipients(reported_case, applicant, coordinator, consultant, supplier):
    """Each kind of recipient a message about the case can have, with their account."""
    expired = make_consultant("eero.entinen", supplier)
    Offer.objects.create(
        case=reported_case,
        consultant=expired.consultant,
        status=Offer.Status.EXPIRED,
        offered_by=coordinator,
        deadline=reported_case.decided_at,
    )
    applicant_rcpt, contact = applicant_side(reported_case)
    participant = SurveyLink.objects.create(
        survey=reported_case.survey, email="osallistuja@example.invalid"
    )
    return {
        "applicant": (applicant_rcpt, applicant),
        "contact person without an account": (contact, None),
        "coordinator": (Recipient(coordinator.email, "sv", coordinator), coordinator),
        "assigned consultant": (Recipient(consultant.email, "fi", consultant), consultant),
        "consultant whose offer expired": (Recipient(expired.email, "fi", expired), expired),
        "participant": (Recipient(participant.email, "fi"), None),
        "_survey_link": participant,
    }


@pytest.mark.parametrize("event", sorted(MESSAGES))
def test_every_message_to_every_recipient_links_only_to_pages_they_can_open(
    event, reported_case, recipients
):

    recipients.pop("_survey_link")
    survey_url = settings.SITE_URL.rstrip("/") + "/survey/#code=ABCD-EFGH-JKLM"
    for kind, (recipient, user) in recipients.items():
        OutboundEmail.objects.all().delete()
        notify(
            event,
            reported_case,
            [recipient],
            comment="  Syy  ",
            days=reported_case.days_planned.all(),
            deadline=reported_case.survey.closes_at,
            link=survey_url,
        )
        (email,) = OutboundEmail.objects.all()
        assert email.subject == email.subject.strip(), (event, kind, email.subject)
        assert "  " not in email.subject and "\n" not in email.subject, (event, kind)
        for url in links_in(email):
            status, client = opens_for(user, url)
            assert status == 200, (event, kind, url)
            final = client.get(urlsplit(url).path)
            assert final.status_code == 200, (event, kind, url, final.status_code)


def test_the_survey_invitation_links_to_the_survey_and_not_to_the_case(
    reported_case, applicant, django_capture_on_commit_callbacks
):
    from sparring.surveys import services as survey_services

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        survey_services.survey_add_participants(
            actor=applicant, case=reported_case, emails="osallistuja@example.invalid"
        )
    (message,) = mail.outbox
    body = message.body + message.alternatives[0][0]
    assert f"/cases/{reported_case.pk}/" not in body
    assert "/survey/" in body
    assert message.subject == message.subject.strip()


def test_the_password_reset_link_starts_with_the_site_address(
    client, applicant, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://127.0.0.1:8101"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/password-reset/", {"email": applicant.email}, HTTP_HOST="evil.example"
        )
    (message,) = mail.outbox
    links = set(LINK.findall(message.body))
    assert links and all(link.startswith("http://127.0.0.1:8101/") for link in links)
    assert message.subject == message.subject.strip()


@pytest.mark.django_db(transaction=True)
def test_an_invitation_to_a_mini_competition_links_to_the_tender_page(
    competition_setup,  # noqa: F811 (the fixture imported above)
    coordinator,
    client_for,
):
    from tests.unit.procurement.test_minicompetition import open_it

    case, aino, _bertta = competition_setup
    mail.outbox.clear()
    competition = open_it(case, coordinator)
    (message,) = [m for m in mail.outbox if m.to == [aino.email]]
    links = set(LINK.findall(message.body))
    assert links == {settings.SITE_URL.rstrip("/") + f"/competitions/{competition.pk}/tender/"}
    assert client_for(aino).get(urlsplit(links.pop()).path).status_code == 200
    assert f"/cases/{case.pk}/" not in message.body


def test_every_message_a_case_sends_on_its_way_links_only_where_its_recipient_can_go(
    reported_case, applicant, django_capture_on_commit_callbacks
):
    """The real services, in their real order: from submission to the survey invitations."""
    from sparring.surveys import services as survey_services

    with django_capture_on_commit_callbacks(execute=True):
        survey_services.survey_add_participants(
            actor=applicant, case=reported_case, emails="osallistuja@example.invalid"
        )
    emails = list(OutboundEmail.objects.all())
    assert {e.template for e in emails} >= {"case_event"} and len(emails) >= 8
    for email in emails:
        assert email.subject == " ".join(email.subject.split()), email.subject
        user = User.objects.filter(email__iexact=email.to, is_active=True).first()
        for url in links_in(email):
            status, _client = opens_for(user, url)
            assert status == 200, (email.to, email.subject, url)
            assert not (user is None and "/cases/" in url), (email.to, url)


def test_a_long_subject_is_shortened_to_fit_the_outbox():
    """An organisation's name may have 200 characters; the outbox's subject column 255."""
    from sparring.emails import render_email

    long = "Tarjouspyyntö: sparraus SP-2026-0001 organisaatiolle " + "Kotihoidon kehittämis" * 12
    rendered = render_email(
        template="case_event",
        context={"subject_line": f"  {long}\n", "paragraphs": [], "site_name": "Sparraus"},
        language="fi",
    )
    assert len(rendered["subject"]) == 255 and rendered["subject"].endswith("…")
    assert rendered["subject"] == " ".join(rendered["subject"].split())


def test_the_people_e_mails_link_where_their_recipients_can_go(
    organisation, coordinator, django_capture_on_commit_callbacks
):
    """The invitation (no account yet: the set-password page), the request for access
    (coordinators: their home) and its refusal (no link)."""
    from sparring.accounts import services as people

    OutboundEmail.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        people.user_invite(
            actor=coordinator,
            email="uusi.hakija@example.invalid",
            role=User.Role.APPLICANT,
            first_name="Uusi",
            last_name="Hakija",
            organisation=organisation,
        )
        request = people.access_request_submit(
            business_id="fi 0124610 9",
            name_fi="Uusikunta",
            kind="municipality",
            region="06",
            first_name="Ulla",
            last_name="Uusi",
            email="ulla.uusi@example.invalid",
        )
        people.access_request_decline(actor=coordinator, request=request, reason="Ei kunta")
    assert request.business_id == "0124610-9"
    emails = list(OutboundEmail.objects.all())
    assert {e.template for e in emails} == {"invitation", "access_requested", "access_declined"}
    for email in emails:
        assert email.subject == " ".join(email.subject.split()), email.subject
        user = User.objects.filter(email__iexact=email.to, is_active=True).first()
        if email.template == "invitation":
            user = None  # the invited person opens the link before having a password
        for url in links_in(email):
            status, _client = opens_for(user, url)
            assert status == 200, (email.template, url, status)
