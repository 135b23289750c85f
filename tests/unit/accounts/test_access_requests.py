"""Requests for access: the public page, the Business ID's spellings, the coordinator's decision."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from sparring.accounts import services
from sparring.accounts.models import AccessRequest, Invitation
from sparring.models import AuditEvent, Organisation, OutboundEmail, User

RASEBORG = {
    "business_id": "2106283-3",
    "name_fi": "Raaseporin kaupunki",
    "name_sv": "Raseborgs stad",
    "kind": "municipality",
    "region": "01",
    "first_name": "Rasmus",
    "last_name": "Rask",
    "title": "HR-chef",
    "email": "rasmus.rask@raseborg.example",
    "phone": "",
    "language": "sv",
}


def post(data: dict, **overrides):
    return Client().post("/request-access/", {**data, **overrides})


def test_the_demo_business_id_is_valid():
    from stdnum.fi import ytunnus

    assert ytunnus.is_valid(RASEBORG["business_id"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spelling", ["2106283-3", "21062833", "2106283 3", "FI21062833", " fi2106283-3 "]
)
def test_a_request_is_stored_with_the_normalised_business_id(coordinator, spelling):
    response = post(RASEBORG, business_id=spelling)
    assert response.status_code == 302 and response["Location"] == "/request-access/sent/"
    request = AccessRequest.objects.get()
    assert request.business_id == "2106283-3"
    assert request.status == AccessRequest.Status.PENDING
    assert AuditEvent.objects.filter(action="access_requested").count() == 1
    told = OutboundEmail.objects.get(template="access_requested")
    assert told.to == coordinator.email and "Raaseporin kaupunki" in told.subject


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", ["02116752", "0211675 2", "FI02116752", "0211675-2"])
def test_an_organisation_registered_already_is_named_in_any_spelling(organisation, spelling):
    response = post(RASEBORG, business_id=spelling)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Tampereen kaupunki (0211675-2) on jo rekisteröity" in html
    assert not AccessRequest.objects.exists()
    assert Organisation.objects.count() == 1


@pytest.mark.django_db
def test_a_request_waiting_already_is_named_in_another_spelling(db):
    assert post(RASEBORG).status_code == 302
    response = post(RASEBORG, business_id="FI21062833", email="toinen@raseborg.example")
    assert response.status_code == 400
    assert "Raaseporin kaupunki (2106283-3) pyyntö odottaa jo" in response.content.decode()
    assert AccessRequest.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["2106283-1", "2106283-0", "123", "abcdefg-h", "21062833000"])
def test_a_wrong_business_id_is_refused(db, bad):
    response = post(RASEBORG, business_id=bad)
    assert response.status_code == 400
    assert (
        "ei ole kelvollinen Y-tunnus" in response.content.decode()
        or "enintään" in response.content.decode()
    )
    assert not AccessRequest.objects.exists()


@pytest.mark.django_db
def test_an_address_with_an_account_is_refused(applicant):
    response = post(RASEBORG, email=applicant.email.upper())
    assert response.status_code == 400
    assert "on jo tunnus" in response.content.decode()
    assert not AccessRequest.objects.exists()


@pytest.mark.django_db
def test_the_page_needs_no_login_and_the_login_page_links_to_it(db):
    assert Client().get("/request-access/").status_code == 200
    assert "/request-access/" in Client().get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_approval_registers_the_organisation_and_invites_the_person(coordinator, client_for):
    post(RASEBORG)
    request = AccessRequest.objects.get()
    home = client_for(coordinator).get("/coordinator/")
    assert "Raaseporin kaupunki (2106283-3)" in home.content.decode()
    response = client_for(coordinator).post(f"/coordinator/access-requests/{request.pk}/approve/")
    assert response.status_code == 302
    organisation = Organisation.objects.get(business_id="2106283-3")
    assert organisation.display_name("sv") == "Raseborgs stad"
    user = User.objects.get(email=RASEBORG["email"])
    assert user.organisation == organisation and user.role == "applicant" and user.language == "sv"
    assert Invitation.objects.filter(user=user).count() == 1
    invitation = OutboundEmail.objects.get(template="invitation")
    assert invitation.language == "sv" and "Raseborgs stad" in invitation.body_text
    request.refresh_from_db()
    assert request.status == "approved" and request.organisation == organisation
    for action in ("organisation_created", "user_created", "user_invited", "access_approved"):
        assert AuditEvent.objects.filter(action=action).exists(), action
    # a second approval (another window) changes nothing
    again = client_for(coordinator).post(
        f"/coordinator/access-requests/{request.pk}/approve/", follow=True
    )
    assert again.status_code == 200
    assert "Pyynnöstä on jo päätetty" in again.content.decode()
    assert User.objects.filter(email=RASEBORG["email"]).count() == 1


@pytest.mark.django_db
def test_approval_after_the_organisation_was_registered_creates_nothing(coordinator, client_for):
    post(RASEBORG)
    request = AccessRequest.objects.get()
    from sparring.accounts.services import organisation_create

    organisation_create(
        actor=coordinator,
        name_fi="Raaseporin kaupunki",
        business_id="21062833",
        kind="municipality",
    )
    response = client_for(coordinator).post(
        f"/coordinator/access-requests/{request.pk}/approve/", follow=True
    )
    assert "on jo rekisteröity" in response.content.decode()
    assert not User.objects.filter(email=RASEBORG["email"]).exists()
    assert Organisation.objects.count() == 1
    request.refresh_from_db()
    assert request.status == "pending"


@pytest.mark.django_db
def test_declining_needs_a_reason_and_mails_it(coordinator, client_for):
    post(RASEBORG)
    request = AccessRequest.objects.get()
    client = client_for(coordinator)
    client.post(f"/coordinator/access-requests/{request.pk}/decline/", {"reason": "  "})
    request.refresh_from_db()
    assert request.status == "pending"
    client.post(
        f"/coordinator/access-requests/{request.pk}/decline/",
        {"reason": "Kommunen deltar redan via samkommunen."},
    )
    request.refresh_from_db()
    assert request.status == "declined" and request.decided_by == coordinator
    email = OutboundEmail.objects.get(template="access_declined")
    assert email.language == "sv" and "samkommunen" in email.body_text
    assert AuditEvent.objects.filter(action="access_declined").count() == 1
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_only_coordinators_decide(applicant, client_for):
    post(RASEBORG)
    request = AccessRequest.objects.get()
    response = client_for(applicant).post(f"/coordinator/access-requests/{request.pk}/approve/")
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.access_request_approve(actor=applicant, request=request)
    assert not Organisation.objects.filter(business_id="2106283-3").exists()
