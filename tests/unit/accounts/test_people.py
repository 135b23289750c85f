"""People: invitations, deactivation, the password reset for every active account."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from sparring import access, clock
from sparring.accounts import services
from sparring.accounts.models import Invitation
from sparring.models import AuditEvent, OutboundEmail, User
from tests.conftest import PASSWORD, make_user

NEW_PASSWORD = "Kesä-iltaa-2026!"


def invite(coordinator, organisation, email="liisa.uusi@tampere.example", language="fi"):
    return services.user_invite(
        actor=coordinator,
        email=email,
        role=User.Role.APPLICANT,
        first_name="Liisa",
        last_name="Uusi",
        organisation=organisation,
        language=language,
    )


def link_of(email: OutboundEmail) -> str:
    return re.search(r"https?://\S+/invitation/(\S+)/", email.body_text).group(0)


def token_of(email: OutboundEmail) -> str:
    return re.search(r"/invitation/(\S+)/", email.body_text).group(1)


@pytest.mark.django_db
def test_an_invitation_makes_an_account_without_a_password_and_mails_a_link(
    coordinator, organisation, settings
):
    settings.SITE_URL = "http://demo.example:8123"
    user = invite(coordinator, organisation, language="sv")
    assert not user.has_usable_password()
    assert user.organisation == organisation and user.username == "liisa.uusi@tampere.example"
    email = OutboundEmail.objects.get(template="invitation")
    assert email.to == user.email and email.language == "sv"
    assert "Tammerfors stad" in email.body_text  # the organisation's name in Swedish
    assert link_of(email).startswith("http://demo.example:8123/invitation/")
    invitation = Invitation.objects.get(user=user)
    assert token_of(email) not in invitation.token_digest  # only the digest is stored
    assert AuditEvent.objects.filter(action="user_invited", subject=f"sparring.user:{user.pk}")


@pytest.mark.django_db
def test_the_link_sets_the_password_once_and_lands_on_the_home(coordinator, organisation):
    user = invite(coordinator, organisation)
    token = token_of(OutboundEmail.objects.get(template="invitation"))
    client = Client()
    page = client.get(f"/invitation/{token}/")
    assert page.status_code == 200 and user.username in page.content.decode()
    response = client.post(
        f"/invitation/{token}/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).url == reverse("sparring:applicant_home")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="invitation_accepted", actor=user).count() == 1
    # the same link again: a clear message, not a 500, and the password stays
    again = Client().post(
        f"/invitation/{token}/",
        {"new_password1": "Toinen-salasana-9", "new_password2": "Toinen-salasana-9"},
    )
    assert again.status_code == 410
    assert "Kutsu on jo käytetty" in again.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.django_db
@pytest.mark.parametrize("days", [7, 30])
def test_an_expired_link_says_so(coordinator, organisation, days):
    user = invite(coordinator, organisation)
    token = token_of(OutboundEmail.objects.get(template="invitation"))
    with clock.travel(clock.now() + timedelta(days=days, minutes=1)):
        page = Client().post(
            f"/invitation/{token}/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
    assert page.status_code == 410
    assert "Kutsu on vanhentunut" in page.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["x", "not-a-token-at-all", "a" * 500, "%00%27"])
def test_an_unknown_link_says_so(db, token):
    page = Client().get(f"/invitation/{token}/")
    assert page.status_code == 404
    assert "Kutsulinkki ei kelpaa" in page.content.decode()


@pytest.mark.django_db
def test_a_weak_password_is_refused_and_the_link_stays_usable(coordinator, organisation):
    invite(coordinator, organisation)
    token = token_of(OutboundEmail.objects.get(template="invitation"))
    page = Client().post(f"/invitation/{token}/", {"new_password1": "123", "new_password2": "123"})
    assert page.status_code == 400
    assert Invitation.objects.get().used_at is None


@pytest.mark.django_db
def test_a_new_invitation_replaces_the_old_link(coordinator, organisation):
    user = invite(coordinator, organisation)
    first = token_of(OutboundEmail.objects.get(template="invitation"))
    services.invitation_send(actor=coordinator, user=user)
    second = token_of(OutboundEmail.objects.filter(template="invitation").order_by("-pk")[0])
    assert Client().get(f"/invitation/{first}/").status_code == 410
    assert Client().get(f"/invitation/{second}/").status_code == 200


@pytest.mark.django_db
def test_an_address_in_use_is_refused_naming_the_account(coordinator, organisation, applicant):
    page = Client()
    page.force_login(coordinator)
    response = page.post(
        "/coordinator/people/invite/",
        {
            "email": applicant.email.upper(),
            "first_name": "X",
            "last_name": "Y",
            "role": "applicant",
            "organisation": organisation.pk,
            "language": "fi",
        },
    )
    assert response.status_code == 400
    assert "on jo tunnus (Anna Testinen)" in response.content.decode()
    assert User.objects.count() == 2


@pytest.mark.django_db
def test_several_people_of_one_organisation_see_its_cases(
    coordinator, organisation, submitted_case, applicant
):
    colleague = invite(coordinator, organisation)
    assert list(access.visible_cases(colleague)) == list(access.visible_cases(applicant))
    assert submitted_case in access.visible_cases(colleague)


@pytest.mark.django_db
def test_coordinator_invites_a_consultant_of_a_supplier(coordinator, supplier, client_for):
    response = client_for(coordinator).post(
        "/coordinator/people/invite/",
        {
            "email": "uusi.konsultti@example.invalid",
            "first_name": "Uusi",
            "last_name": "Konsultti",
            "role": "consultant",
            "supplier": supplier.pk,
            "language": "fi",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="uusi.konsultti@example.invalid")
    assert user.consultant.supplier == supplier


@pytest.mark.django_db
def test_only_a_superuser_invites_a_coordinator(coordinator, client_for):
    response = client_for(coordinator).post(
        "/coordinator/people/invite/",
        {
            "email": "k2@example.invalid",
            "first_name": "K",
            "last_name": "K",
            "role": "coordinator",
            "language": "fi",
        },
    )
    assert response.status_code == 400  # not a choice offered
    assert not User.objects.filter(email="k2@example.invalid").exists()


@pytest.mark.django_db
def test_deactivation_keeps_the_history_and_stops_the_login(
    coordinator, applicant, submitted_case, client_for
):
    client = client_for(coordinator)
    response = client.post(f"/coordinator/people/{applicant.pk}/deactivate/")
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert not applicant.is_active
    assert submitted_case.created_by == applicant  # the case and its author stay
    assert not Client().login(username=applicant.username, password=PASSWORD)
    assert AuditEvent.objects.filter(action="user_deactivated", actor=coordinator).count() == 1
    client.post(f"/coordinator/people/{applicant.pk}/reactivate/")
    applicant.refresh_from_db()
    assert applicant.is_active
    assert AuditEvent.objects.filter(action="user_reactivated").count() == 1


@pytest.mark.django_db
def test_a_coordinator_cannot_deactivate_themselves_or_another_coordinator(coordinator, client_for):
    other = make_user(User.Role.COORDINATOR, "toinen.koordinaattori")
    client = client_for(coordinator)
    for person in (coordinator, other):
        response = client.post(f"/coordinator/people/{person.pk}/deactivate/", follow=True)
        assert response.status_code == 200
        person.refresh_from_db()
        assert person.is_active


@pytest.mark.django_db
def test_people_pages_are_the_coordinators(users_by_role, client_for):
    for role, user in users_by_role.items():
        status = client_for(user).get("/coordinator/people/").status_code
        assert status == (200 if role == "coordinator" else 403)
    assert Client().get("/coordinator/people/").status_code == 302  # to the login page


@pytest.mark.django_db
def test_the_people_list_keeps_its_query_count(
    coordinator, organisation, client_for, django_assert_max_num_queries
):
    client = client_for(coordinator)
    for n in range(3):
        make_user(User.Role.APPLICANT, f"a{n}.hakija", organisation=organisation)
    with django_assert_max_num_queries(8) as few:
        assert client.get("/coordinator/people/").status_code == 200
    for n in range(3, 30):
        make_user(User.Role.APPLICANT, f"a{n}.hakija", organisation=organisation)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/coordinator/people/?page=2").status_code == 200


# ------------------------------------------------------------------------------
# Password reset
# ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_person_without_a_usable_password_gets_the_reset_email(
    coordinator, organisation, django_capture_on_commit_callbacks
):
    user = invite(coordinator, organisation)
    mail.outbox.clear()
    # the request hands the lookup to the background after commit (issue 15)
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/accounts/password-reset/", {"email": user.email.upper()})
    assert response.status_code == 302
    email = OutboundEmail.objects.get(template="password_reset")
    assert email.to == user.email
    assert AuditEvent.objects.filter(action="password_reset_requested").count() == 1
    # the link is in the message sent (the outbox keeps no link after delivery)
    sent = next(m for m in mail.outbox if user.email in m.to)
    link = re.search(r"http://\S+/accounts/password-reset/\S+/", sent.body).group(0)
    path = link.split("testserver", 1)[-1]
    client = Client()
    form = client.get(path, follow=True)
    set_path = form.redirect_chain[-1][0]
    done = client.post(set_path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="password_reset", actor=user).count() == 1
    # the invitation link died when the password was set
    assert Invitation.objects.get(user=user).expires_at <= clock.now()


@pytest.mark.django_db
def test_a_deactivated_person_gets_no_reset_email(coordinator, applicant):
    services.user_deactivate(actor=coordinator, user=applicant)
    Client().post("/accounts/password-reset/", {"email": applicant.email})
    assert not OutboundEmail.objects.filter(template="password_reset").exists()
