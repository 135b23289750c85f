"""Each role lands on its own home, and nobody opens another role's pages."""

import pytest
from django.urls import reverse

from sparring import access
from sparring.models import User

HOMES = {
    "applicant": "sparring:applicant_home",
    "coordinator": "sparring:coordinator_home",
    "consultant": "sparring:consultant_home",
    "steering": "sparring:steering_home",
}


@pytest.mark.parametrize("role", HOMES)
def test_home_sends_each_role_to_its_own_page(role, users_by_role, client_for):
    response = client_for(users_by_role[role]).get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse(HOMES[role])


@pytest.mark.parametrize("role", HOMES)
@pytest.mark.parametrize("page_of", HOMES)
def test_a_role_page_is_403_for_every_other_role(role, page_of, users_by_role, client_for):
    response = client_for(users_by_role[role]).get(reverse(HOMES[page_of]))
    expected = 200 if role == page_of or (role == "coordinator" and page_of == "steering") else 403
    assert response.status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", [*HOMES.values(), "workflow:failed_jobs", "home"])
def test_anonymous_visitors_are_sent_to_log_in(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_applicant_home_names_their_own_organisation_only(
    applicant, other_organisation, client_for
):
    page = client_for(applicant).get(reverse("sparring:applicant_home")).content.decode()
    assert "Tampereen kaupunki" in page
    assert other_organisation.name_fi not in page


def test_applicant_sees_only_their_organisation(applicant, other_applicant, coordinator):
    assert list(access.visible_organisations(applicant)) == [applicant.organisation]
    assert list(access.visible_organisations(other_applicant)) == [other_applicant.organisation]
    assert access.visible_organisations(coordinator).count() == 2
    assert applicant.has_perm("sparring.view_organisation", applicant.organisation)
    assert not applicant.has_perm("sparring.view_organisation", other_applicant.organisation)


def test_consultant_may_see_only_their_own_supplier(consultant, supplier, coordinator):
    from procurement.services import supplier_create

    other = supplier_create(
        actor=None, name="Muu Oy", business_id="7654321-2", ranking_position=2, day_price="900"
    )
    assert consultant.has_perm("procurement.view_supplier", supplier)
    assert not consultant.has_perm("procurement.view_supplier", other)
    assert coordinator.has_perm("procurement.view_supplier", other)


def test_a_user_without_a_role_is_told_what_to_do(db, client_for):
    user = User.objects.create_user("uusi", "uusi@example.invalid", "x-very-long-password-1")
    response = client_for(user).get(reverse("home"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("sparring:no_role")


@pytest.mark.parametrize("role", ["applicant", "consultant", "steering"])
def test_only_coordinators_reach_the_staff_site_and_admin(role, users_by_role, client_for):
    client = client_for(users_by_role[role])
    assert client.get("/staff/").status_code == 403
    assert client.get(reverse("admin:index")).status_code == 302  # admin's own login page


def test_coordinator_reaches_the_staff_site_and_admin(coordinator, organisation, client_for):
    client = client_for(coordinator)
    staff = client.get("/staff/", follow=True)
    assert staff.status_code == 200
    organisations = client.get("/staff/programme/organisation/")
    assert organisations.status_code == 200
    assert "Tampereen kaupunki" in organisations.content.decode()
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:sparring_organisation_changelist")).status_code == 200
