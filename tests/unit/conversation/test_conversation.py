"""The case conversation (issue 14.5): who reads which message, who is e-mailed in which
language, the unread marker, internal notes, validation and the page's answers."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from sparring import access
from sparring.cases import services as case_services
from sparring.conversation import selectors, services
from sparring.conversation.models import CaseMessage
from sparring.models import AuditEvent
from tests.conftest import make_consultant
from tests.unit.cases.test_case_flow import approve, fresh, offer_to, walk_to_delivery

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def assigned_case(submitted_case, coordinator, consultant, applicant):
    """A case in delivery with ``consultant`` assigned."""
    return walk_to_delivery(submitted_case, coordinator, consultant, applicant)


@pytest.fixture
def outsider(supplier, reference_data):
    """A consultant of the same supplier who is not assigned to the case."""
    return make_consultant("olli.ulkopuolinen", supplier)


def post(actor, case, audience, body="Hei, kysymys päivistä."):
    return services.message_post(actor=actor, case=case, audience=audience, body=body)


def bodies(user, case):
    return [m.body for m in access.visible_messages(user, case)]


# ------------------------------------------------------------------------------
# Who reads what
# ------------------------------------------------------------------------------


def test_each_party_reads_what_is_addressed_to_it(
    assigned_case, coordinator, applicant, consultant, other_applicant, outsider, steering
):
    case = assigned_case
    post(coordinator, case, "everyone", "kaikille")
    post(coordinator, case, "applicant", "hakijalle")
    post(coordinator, case, "consultant", "konsultille")
    post(coordinator, case, "internal", "sisäinen muistiinpano")
    post(applicant, case, "coordinators", "hakija koordinaattoreille")
    post(applicant, case, "everyone", "hakija kaikille")
    post(consultant, case, "coordinators", "konsultti koordinaattoreille")
    post(consultant, case, "everyone", "konsultti kaikille")

    assert bodies(coordinator, case) == [
        "kaikille",
        "hakijalle",
        "konsultille",
        "sisäinen muistiinpano",
        "hakija koordinaattoreille",
        "hakija kaikille",
        "konsultti koordinaattoreille",
        "konsultti kaikille",
    ]
    assert bodies(applicant, case) == [
        "kaikille",
        "hakijalle",
        "hakija koordinaattoreille",
        "hakija kaikille",
        "konsultti kaikille",
    ]
    assert bodies(consultant, case) == [
        "kaikille",
        "konsultille",
        "hakija kaikille",
        "konsultti koordinaattoreille",
        "konsultti kaikille",
    ]
    # Another organisation's applicant, a consultant not assigned, the steering group: nothing.
    for nobody in (other_applicant, outsider, steering):
        assert access.message_party(nobody, case) is None
        assert bodies(nobody, case) == []
        assert selectors.conversation_for(nobody, case).messages == []


def test_an_internal_note_is_invisible_to_applicant_and_consultant(
    assigned_case, coordinator, applicant, consultant, client_for
):
    note = post(coordinator, assigned_case, "internal", "Vain meille: budjetti tiukka.")
    assert note.internal
    assert note not in access.visible_messages(applicant, assigned_case)
    assert note not in access.visible_messages(consultant, assigned_case)
    url = reverse("sparring:case_detail", args=[assigned_case.pk])
    for reader in (applicant, consultant):
        page = client_for(reader).get(url).content.decode()
        assert "budjetti tiukka" not in page
    assert "budjetti tiukka" in client_for(coordinator).get(url).content.decode()


def test_a_consultant_with_an_open_offer_only_has_no_conversation(
    submitted_case, coordinator, consultant, client_for
):
    approve(submitted_case, coordinator)
    offer_to(submitted_case, coordinator, consultant)
    case = fresh(submitted_case)
    post(coordinator, case, "everyone", "tervetuloa")
    assert access.message_party(consultant, case) is None
    with pytest.raises(PermissionDenied):
        post(consultant, case, "everyone")
    client = client_for(consultant)
    page = client.get(reverse("sparring:case_detail", args=[case.pk]))
    assert page.status_code == 200 and "tervetuloa" not in page.content.decode()
    answer = client.post(
        reverse("sparring:message_post", args=[case.pk]),
        {"audience": "everyone", "body": "hei"},
    )
    assert answer.status_code == 403


def test_outsiders_cannot_write_and_get_404_on_cases_they_do_not_see(
    assigned_case, other_applicant, outsider, steering, client_for
):
    url = reverse("sparring:message_post", args=[assigned_case.pk])
    for nobody in (other_applicant, outsider, steering):
        with pytest.raises(PermissionDenied):
            post(nobody, assigned_case, "everyone")
        response = client_for(nobody).post(url, {"audience": "everyone", "body": "hei"})
        assert response.status_code == 404
    assert not CaseMessage.objects.exists()


def test_each_party_may_choose_only_its_own_audiences(assigned_case, applicant, consultant):
    for actor, refused in (
        (applicant, ("internal", "applicant", "consultant")),
        (consultant, ("internal", "applicant", "consultant")),
    ):
        for audience in refused:
            with pytest.raises(ValidationError) as error:
                post(actor, assigned_case, audience)
            assert "audience" in error.value.error_dict
    assert not CaseMessage.objects.exists()


# ------------------------------------------------------------------------------
# Validation, audit, e-mail
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "   \n  ", "x" * 4001])
def test_empty_and_too_long_messages_are_refused(assigned_case, applicant, body):
    with pytest.raises(ValidationError) as error:
        post(applicant, assigned_case, "coordinators", body)
    assert "body" in error.value.error_dict
    assert not CaseMessage.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"audience": "coordinators", "body": ""},
        {"audience": "coordinators", "body": "   "},
        {"audience": "coordinators", "body": "x" * 4001},
        {"audience": "internal", "body": "hei"},
        {"audience": "", "body": "hei"},
        {"body": "hei"},
        {"audience": ["a", "b"], "body": "\x00"},
    ],
)
def test_bad_input_is_a_clear_form_error_not_a_500(assigned_case, applicant, client_for, data):
    response = client_for(applicant).post(
        reverse("sparring:message_post", args=[assigned_case.pk]), data
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "form-error-summary" in page
    assert not CaseMessage.objects.exists()


def test_the_text_is_kept_when_the_form_is_shown_again(assigned_case, applicant, client_for):
    response = client_for(applicant).post(
        reverse("sparring:message_post", args=[assigned_case.pk]),
        {"audience": "nobody", "body": "Tärkeä pitkä viesti"},
    )
    assert response.status_code == 400
    assert "Tärkeä pitkä viesti" in response.content.decode()


def test_a_message_is_audited_without_its_text(assigned_case, applicant, coordinator):
    message = post(applicant, assigned_case, "coordinators", "salaisuus")
    note = post(coordinator, assigned_case, "internal", "muistiinpano")
    events = AuditEvent.objects.filter(
        case=assigned_case, action__in=["message_posted", "internal_note_added"]
    )
    by_action = {e.action: e for e in events}
    assert by_action["message_posted"].data == {
        "message": message.pk,
        "party": "applicant",
        "audience": "coordinators",
    }
    assert by_action["internal_note_added"].data["message"] == note.pk
    assert all("salaisuus" not in e.comment for e in events)


def test_recipients_are_emailed_in_their_language_after_commit(
    assigned_case, applicant, coordinator, consultant
):
    consultant.language = "sv"
    consultant.save()
    mail.outbox.clear()
    post(applicant, assigned_case, "everyone", "Viesti kaikille")
    to = {m.to[0]: m for m in mail.outbox}
    # The author is not told; the contact person, the consultant and the coordinators are.
    assert applicant.email not in to
    assert set(to) == {"anna.yhteys@example.invalid", consultant.email, coordinator.email}
    assert "Viesti kaikille" in to[consultant.email].body
    assert "Nytt meddelande" in to[consultant.email].subject
    assert "Uusi viesti" in to[coordinator.email].subject


def test_a_message_to_the_coordinators_goes_to_them_only(
    assigned_case, consultant, coordinator, applicant
):
    mail.outbox.clear()
    post(consultant, assigned_case, "coordinators", "Kysymys koordinaattorille")
    assert [m.to for m in mail.outbox] == [[coordinator.email]]


def test_with_a_responsible_coordinator_only_that_one_is_emailed(
    assigned_case, consultant, coordinator
):
    from sparring.models import Case
    from tests.conftest import make_user

    colleague = make_user("coordinator", "toinen.koordinaattori")
    Case.objects.filter(pk=assigned_case.pk).update(handler=colleague)
    assigned_case.refresh_from_db()
    mail.outbox.clear()
    post(consultant, assigned_case, "coordinators", "Kysymys vastuuhenkilölle")
    assert [m.to for m in mail.outbox] == [[colleague.email]]
    assert coordinator.email not in {a for m in mail.outbox for a in m.to}


def test_an_internal_note_is_emailed_to_nobody(assigned_case, coordinator):
    mail.outbox.clear()
    post(coordinator, assigned_case, "internal", "muistiin")
    assert mail.outbox == []


# ------------------------------------------------------------------------------
# The unread marker
# ------------------------------------------------------------------------------


def test_unread_marker_shown_once_then_gone(assigned_case, applicant, coordinator, client_for):
    post(coordinator, assigned_case, "applicant", "Tarvitsemme liitteen.")
    assert selectors.unread_count(applicant, assigned_case) == 1
    assert selectors.unread_count(coordinator, assigned_case) == 0  # their own message
    client = client_for(applicant)
    url = reverse("sparring:case_detail", args=[assigned_case.pk])
    first = client.get(url).content.decode()
    assert "unread-marker" in first and "Tarvitsemme liitteen." in first
    assert selectors.unread_count(applicant, assigned_case) == 0
    second = client.get(url).content.decode()
    assert "unread-marker" not in second and "Tarvitsemme liitteen." in second


def test_read_state_is_per_person(assigned_case, applicant, coordinator, client_for):
    from tests.conftest import make_user

    colleague = make_user("coordinator", "toinen.koordinaattori")
    post(applicant, assigned_case, "coordinators", "Kysymys")
    client_for(coordinator).get(reverse("sparring:case_detail", args=[assigned_case.pk]))
    assert selectors.unread_count(coordinator, assigned_case) == 0
    assert selectors.unread_count(colleague, assigned_case) == 1


def test_the_page_shows_the_conversation_with_a_constant_query_count(
    assigned_case, applicant, coordinator, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(coordinator)
    url = reverse("sparring:case_detail", args=[assigned_case.pk])
    post(applicant, assigned_case, "coordinators", "0")
    client.get(url)  # the read state exists from now on
    post(applicant, assigned_case, "coordinators", "1")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(10):
        post(applicant, assigned_case, "coordinators", f"viesti {n}")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


# ------------------------------------------------------------------------------
# Retention
# ------------------------------------------------------------------------------


def test_the_conversation_goes_with_the_cases_personal_data(assigned_case, applicant, coordinator):
    from datetime import timedelta

    from sparring import clock
    from sparring.conversation.models import ReadState
    from sparring.retention import apply_retention

    post(applicant, assigned_case, "coordinators", "Yhteyshenkilön puhelin on 040 1234567")
    case_services.case_cancel(
        actor=coordinator,
        case=fresh(assigned_case),
        reason="Testi",
        version=fresh(assigned_case).version,
    )
    with clock.travel(clock.now() + timedelta(days=365)):
        apply_retention()
    assert CaseMessage.objects.count() == 1  # not yet
    with clock.travel(clock.now() + timedelta(days=11 * 366)):
        result = apply_retention()
    assert result.messages_deleted == 1
    assert not CaseMessage.objects.exists() and not ReadState.objects.exists()


# ------------------------------------------------------------------------------
# The homes' "new messages" box
# ------------------------------------------------------------------------------


def test_homes_list_the_cases_with_new_messages(
    assigned_case, applicant, coordinator, consultant, other_applicant, client_for
):
    post(coordinator, assigned_case, "applicant", "hakijalle")
    post(coordinator, assigned_case, "internal", "muistiin")
    assert selectors.cases_with_unread(applicant) == [{"case": assigned_case, "unread": 1}]
    assert selectors.cases_with_unread(consultant) == []  # not addressed to the consultant
    assert selectors.cases_with_unread(other_applicant) == []
    assert selectors.cases_with_unread(coordinator) == []  # their own
    home = client_for(applicant).get(reverse("sparring:applicant_home")).content.decode()
    assert 'id="unread-heading"' in home and f"/cases/{assigned_case.pk}/#conversation" in home
    client_for(applicant).get(reverse("sparring:case_detail", args=[assigned_case.pk]))
    home = client_for(applicant).get(reverse("sparring:applicant_home")).content.decode()
    assert 'id="unread-heading"' not in home
    post(consultant, assigned_case, "coordinators", "koordinaattoreille")
    assert selectors.cases_with_unread(coordinator) == [{"case": assigned_case, "unread": 1}]
    home = client_for(coordinator).get(reverse("sparring:coordinator_home")).content.decode()
    assert 'id="unread-heading"' in home


def test_the_new_messages_box_keeps_a_constant_query_count(
    applicant, coordinator, open_call, django_assert_num_queries
):
    from tests.unit.cases.test_case_views import submit_new

    cases = [submit_new(applicant, open_call) for _ in range(2)]
    post(applicant, cases[0], "coordinators", "a")
    with django_assert_num_queries(2):
        assert len(selectors.cases_with_unread(coordinator)) == 1
    for case in cases:
        post(applicant, case, "coordinators", "b")
    more = [submit_new(applicant, open_call) for _ in range(3)]
    for case in more:
        post(applicant, case, "coordinators", "c")
    with django_assert_num_queries(2):
        assert len(selectors.cases_with_unread(coordinator)) == 5
