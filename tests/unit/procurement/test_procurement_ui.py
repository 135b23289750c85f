"""The framework agreement's staff pages (/staff/) and the consultant's own profile page."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from procurement import services
from procurement.models import (
    ConflictOfInterest,
    Consultant,
    FrameworkAgreement,
    Supplier,
    Unavailability,
)
from sparring.audit import subject_of
from sparring.models import AuditEvent, Theme, User
from tests.conftest import make_consultant, make_user

pytestmark = pytest.mark.django_db

PROFILE_URL = "/consultant/profile/"
STAFF_MODELS = ("frameworkagreement", "consultant", "conflictofinterest", "unavailability")


def english(client):
    """Pages in English, so the tests can read the messages by their source text."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def staff_url(model: str, view: str = "list", *args) -> str:
    return reverse(f"programme:{model}:{view}", args=args)


def agreement_data(**overrides) -> dict:
    data = {
        "notice_reference": "2026-654321",
        "title": "Sparrauspalvelut 2026–2029",
        "valid_from": "2026-01-01",
        "valid_until": "2029-12-31",
        "method": "rotation",
        "budget": "450000.00",
        "default_day_price": "1200.00",
        "active": "on",
    }
    data.update(overrides)
    return data


def form_errors(response) -> dict:
    return {field: list(errors) for field, errors in response.context["form"].errors.items()}


# ------------------------------------------------------------------------------
# The staff pages
# ------------------------------------------------------------------------------


def test_the_staff_urls_are_where_the_tests_expect_them():
    assert staff_url("frameworkagreement") == "/staff/programme/frameworkagreement/"
    assert staff_url("consultant", "add") == "/staff/programme/consultant/add/"


def test_coordinator_lists_and_creates_a_framework_agreement(agreement, coordinator, client_for):
    client = client_for(coordinator)
    listing = client.get(staff_url("frameworkagreement"))
    assert listing.status_code == 200
    assert "2021-123456" in listing.content.decode()
    assert client.get(staff_url("frameworkagreement", "add")).status_code == 200

    response = client.post(staff_url("frameworkagreement", "add"), agreement_data())

    assert response.status_code == 302, form_errors(response)
    created = FrameworkAgreement.objects.get(notice_reference="2026-654321")
    assert created.method == FrameworkAgreement.Method.ROTATION
    assert created.valid_until == date(2029, 12, 31)
    assert AuditEvent.objects.filter(
        action="record_created", subject=subject_of(created), actor=coordinator
    ).exists()
    assert "2026-654321" in client.get(staff_url("frameworkagreement")).content.decode()


def test_a_five_year_framework_agreement_is_refused_with_a_message(coordinator, client_for):
    client = english(client_for(coordinator))

    response = client.post(
        staff_url("frameworkagreement", "add"), agreement_data(valid_until="2030-12-31")
    )

    assert response.status_code == 200  # the form again, with the error
    assert "at most four years" in " ".join(form_errors(response)["valid_until"])
    assert "at most four years" in response.content.decode()
    assert not FrameworkAgreement.objects.filter(notice_reference="2026-654321").exists()
    assert not AuditEvent.objects.filter(action="record_created").exists()


def test_coordinator_changes_a_framework_agreement(agreement, coordinator, client_for):
    client = client_for(coordinator)
    data = agreement_data(
        notice_reference=agreement.notice_reference,
        valid_from=agreement.valid_from.isoformat(),
        valid_until=agreement.valid_until.isoformat(),
        budget="350000.00",
    )
    response = client.post(staff_url("frameworkagreement", "change", agreement.pk), data)
    assert response.status_code == 302, form_errors(response)
    agreement.refresh_from_db()
    assert str(agreement.budget) == "350000.00"
    event = AuditEvent.objects.get(action="record_changed", subject=subject_of(agreement))
    assert "budget" in event.data["changed"]


def test_coordinator_creates_a_consultant_with_languages_and_regions(
    supplier, coordinator, reference_data, client_for
):
    client = client_for(coordinator)
    user = make_user(User.Role.CONSULTANT, "liisa.uusi")
    themes = list(Theme.objects.order_by("pk")[:2])
    page = client.get(staff_url("consultant", "add"))
    assert page.status_code == 200
    assert 'name="languages"' in page.content.decode()

    response = client.post(
        staff_url("consultant", "add"),
        {
            "user": user.pk,
            "supplier": supplier.pk,
            "active": "on",
            "themes": [t.pk for t in themes],
            "languages": ["fi", "en"],
            "regions": ["06", "01"],
            "capacity_per_month": "5",
            "capacity_total": "30",
        },
    )

    assert response.status_code == 302, form_errors(response)
    consultant = Consultant.objects.get(user=user)
    assert consultant.languages == ["fi", "en"]
    assert sorted(consultant.regions) == ["01", "06"]
    assert consultant.works_remotely is False
    assert set(consultant.themes.all()) == set(themes)
    assert (consultant.capacity_per_month, consultant.capacity_total) == (5, 30)
    assert AuditEvent.objects.filter(
        action="record_created", subject=subject_of(consultant)
    ).exists()
    listing = client.get(staff_url("consultant")).content.decode()
    assert "Liisa Testinen" in listing


def test_the_staff_consultant_form_checks_languages_regions_and_capacity(
    supplier, coordinator, reference_data, client_for
):
    client = english(client_for(coordinator))
    user = make_user(User.Role.CONSULTANT, "liisa.uusi")

    response = client.post(
        staff_url("consultant", "add"),
        {
            "user": user.pk,
            "supplier": supplier.pk,
            "active": "on",
            "capacity_per_month": "10",
            "capacity_total": "5",
        },
    )

    assert response.status_code == 200
    errors = form_errors(response)
    assert errors["languages"] == ["Choose at least one language."]
    assert errors["regions"] == ["Choose the regions served, or tick works remotely."]
    assert "capacity_per_month" in errors
    assert not Consultant.objects.filter(user=user).exists()

    response = client.post(
        staff_url("consultant", "add"),
        {
            "user": user.pk,
            "supplier": supplier.pk,
            "languages": ["sv"],
            "works_remotely": "on",
            "capacity_per_month": "0",
            "capacity_total": "5",
        },
    )
    assert response.status_code == 200
    assert list(form_errors(response)) == ["capacity_per_month"]


def test_coordinator_changes_a_consultant_through_the_same_form(
    consultant, coordinator, client_for
):
    client = client_for(coordinator)
    record = consultant.consultant
    page = client.get(staff_url("consultant", "change", record.pk))
    assert page.status_code == 200

    response = client.post(
        staff_url("consultant", "change", record.pk),
        {
            "user": consultant.pk,
            "supplier": record.supplier_id,
            "themes": list(record.themes.values_list("pk", flat=True)),
            "languages": ["fi"],
            "regions": ["19"],
            "capacity_per_month": "4",
            "capacity_total": "60",
        },
    )

    assert response.status_code == 302, form_errors(response)
    record.refresh_from_db()
    assert (record.languages, record.regions, record.works_remotely) == (["fi"], ["19"], False)
    assert record.active is False
    assert record.capacity_total == 60


def test_coordinator_gives_a_supplier_its_agreement_and_planned_share(
    agreement, coordinator, client_for
):
    client = client_for(coordinator)
    response = client.post(
        staff_url("supplier", "add"),
        {
            "name": "Uusi Konsultointi Oy",
            "business_id": "7654321-2",
            "ranking_position": "2",
            "day_price": "990.00",
            "active": "on",
            "agreement": agreement.pk,
            "planned_share": "3",
        },
    )
    assert response.status_code == 302, form_errors(response)
    supplier = Supplier.objects.get(business_id="7654321-2")
    assert (supplier.agreement, supplier.planned_share) == (agreement, 3)
    assert "Uusi Konsultointi Oy" in client.get(staff_url("supplier")).content.decode()


def test_coordinator_records_a_conflict_of_interest_and_is_its_recorder(
    consultant, organisation, coordinator, client_for
):
    client = client_for(coordinator)
    assert client.get(staff_url("conflictofinterest", "add")).status_code == 200
    response = client.post(
        staff_url("conflictofinterest", "add"),
        {
            "consultant": consultant.consultant.pk,
            "organisation": organisation.pk,
            "reason": "Toimi kaupungin palveluksessa 2024.",
        },
    )
    assert response.status_code == 302, form_errors(response)
    conflict = ConflictOfInterest.objects.get()
    assert conflict.recorded_by == coordinator
    assert client.get(staff_url("conflictofinterest")).status_code == 200


def test_coordinator_lists_and_adds_unavailable_periods(consultant, coordinator, client_for):
    client = client_for(coordinator)
    today = timezone.localdate()
    response = client.post(
        staff_url("unavailability", "add"),
        {
            "consultant": consultant.consultant.pk,
            "starts": today.isoformat(),
            "ends": (today + timedelta(days=7)).isoformat(),
            "note": "Loma",
        },
    )
    assert response.status_code == 302, form_errors(response)
    assert Unavailability.objects.filter(consultant=consultant.consultant).count() == 1
    assert client.get(staff_url("unavailability")).status_code == 200


@pytest.mark.parametrize("role", ["applicant", "consultant", "steering"])
@pytest.mark.parametrize("model", STAFF_MODELS)
def test_others_than_coordinators_get_403_on_the_staff_pages(
    role, model, users_by_role, agreement, client_for
):
    client = client_for(users_by_role[role])
    assert client.get(staff_url(model)).status_code == 403
    assert client.get(staff_url(model, "add")).status_code == 403
    assert client.post(staff_url(model, "add"), agreement_data()).status_code == 403
    assert FrameworkAgreement.objects.count() == 1


# ------------------------------------------------------------------------------
# The consultant's own profile
# ------------------------------------------------------------------------------


def test_the_profile_url_is_routed():
    assert reverse("procurement:profile") == PROFILE_URL


def test_the_consultant_home_links_the_profile(consultant, client_for):
    page = english(client_for(consultant)).get(reverse("sparring:consultant_home"))
    assert f'href="{PROFILE_URL}"' in page.content.decode()
    assert "Update your availability and expertise" in page.content.decode()


def test_the_consultant_opens_their_profile(consultant, client_for):
    record = consultant.consultant
    services.unavailability_add(
        actor=consultant,
        consultant=record,
        starts=timezone.localdate() + timedelta(days=10),
        ends=timezone.localdate() + timedelta(days=12),
        note="Koulutus",
    )
    Unavailability.objects.create(
        consultant=record, starts=date(2020, 1, 1), ends=date(2020, 1, 5), note="Vanha"
    )

    page = client_for(consultant).get(PROFILE_URL)

    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<h1") == 1
    assert 'value="profile"' in html and 'value="add_period"' in html
    assert "Koulutus" in html
    assert "Vanha" not in html  # past periods are not listed
    assert page.context["profile_form"].instance == record
    assert 'id="id_languages_0"' in html and 'id="id_starts"' in html


@pytest.mark.parametrize("role", ["applicant", "coordinator", "steering"])
def test_the_profile_page_is_403_for_others_than_consultants(role, users_by_role, client_for):
    client = client_for(users_by_role[role])
    assert client.get(PROFILE_URL).status_code == 403
    assert client.post(PROFILE_URL, {"intent": "profile"}).status_code == 403


def test_an_inactive_consultant_cannot_open_the_profile(consultant, client_for):
    Consultant.objects.filter(user=consultant).update(active=False)
    assert client_for(consultant).get(PROFILE_URL).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(PROFILE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_consultant_updates_languages_and_themes(consultant, client_for):
    record = consultant.consultant
    theme = Theme.objects.order_by("pk").first()
    client = english(client_for(consultant))

    response = client.post(
        PROFILE_URL,
        {
            "intent": "profile",
            "themes": [theme.pk],
            "languages": ["sv", "en"],
            "regions": ["02"],
            "capacity_per_month": "6",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
    record.refresh_from_db()
    assert record.languages == ["sv", "en"]
    assert record.regions == ["02"]
    assert record.works_remotely is False
    assert record.capacity_per_month == 6
    assert record.capacity_total == 40  # not the consultant's to change
    assert list(record.themes.all()) == [theme]
    event = AuditEvent.objects.get(action="consultant_profile_updated")
    assert event.actor == consultant
    assert event.subject == subject_of(record)
    assert {"themes", "languages", "regions", "works_remotely", "capacity_per_month"} == set(
        event.data["changed"]
    )
    assert "Your profile was saved." in client.get(PROFILE_URL).content.decode()


def test_the_profile_form_does_not_let_the_consultant_change_supplier_or_capacity_total(
    consultant, client_for
):
    record = consultant.consultant
    response = client_for(consultant).post(
        PROFILE_URL,
        {
            "intent": "profile",
            "languages": ["fi"],
            "works_remotely": "on",
            "capacity_per_month": "4",
            "capacity_total": "999",
            "active": "",
            "supplier": "999",
        },
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.capacity_total, record.active) == (40, True)


def test_an_invalid_profile_is_refused_with_400_and_nothing_saved(consultant, client_for):
    record = consultant.consultant
    client = english(client_for(consultant))

    response = client.post(
        PROFILE_URL, {"intent": "profile", "capacity_per_month": "41", "regions": []}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "form-error-summary" in html
    assert "Choose at least one language." in html
    assert "Choose the regions served, or tick works remotely." in html
    assert "capacity_per_month" in response.context["profile_form"].errors
    record.refresh_from_db()
    assert record.languages == ["fi", "sv"] and record.works_remotely is True
    assert record.capacity_per_month == 4
    assert not AuditEvent.objects.filter(action="consultant_profile_updated").exists()


def test_the_consultant_adds_and_removes_an_unavailable_period(consultant, client_for):
    record = consultant.consultant
    client = english(client_for(consultant))
    today = timezone.localdate()

    response = client.post(
        PROFILE_URL,
        {
            "intent": "add_period",
            "starts": (today + timedelta(days=3)).isoformat(),
            "ends": (today + timedelta(days=9)).strftime("%d.%m.%Y"),
            "note": "Kesäloma",
        },
    )

    assert response.status_code == 302
    period = Unavailability.objects.get(consultant=record)
    assert (period.starts, period.ends, period.note) == (
        today + timedelta(days=3),
        today + timedelta(days=9),
        "Kesäloma",
    )
    added = AuditEvent.objects.get(action="unavailability_added")
    assert (added.actor, added.subject) == (consultant, subject_of(period))
    page = client.get(PROFILE_URL).content.decode()
    assert "The unavailable period was added." in page
    assert "Kesäloma" in page and f'name="period" value="{period.pk}"' in page

    response = client.post(PROFILE_URL, {"intent": "remove_period", "period": period.pk})

    assert response.status_code == 302
    assert not Unavailability.objects.filter(pk=period.pk).exists()
    removed = AuditEvent.objects.get(action="unavailability_removed")
    assert (removed.actor, removed.subject) == (consultant, subject_of(period))
    assert "The unavailable period was removed." in client.get(PROFILE_URL).content.decode()


def test_a_consultant_cannot_remove_another_consultants_period(consultant, supplier, client_for):
    other = make_consultant("ville.toinen", supplier)
    today = timezone.localdate()
    period = services.unavailability_add(
        actor=other,
        consultant=other.consultant,
        starts=today,
        ends=today + timedelta(days=5),
    )

    client = client_for(consultant)
    response = client.post(PROFILE_URL, {"intent": "remove_period", "period": period.pk})

    assert response.status_code == 404
    assert Unavailability.objects.filter(pk=period.pk).exists()
    assert not AuditEvent.objects.filter(action="unavailability_removed").exists()
    assert client.post(PROFILE_URL, {"intent": "remove_period", "period": "x"}).status_code == 404
    assert client.post(PROFILE_URL, {"intent": "remove_period"}).status_code == 404


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        (5, 2, "The period must end on or after the day it starts."),
        (-10, -3, "The period is already over; give a current or future one."),
        (None, 4, "This field is required."),
    ],
)
def test_an_invalid_period_is_refused_with_400_and_nothing_saved(
    starts, ends, message, consultant, client_for
):
    today = timezone.localdate()
    client = english(client_for(consultant))

    response = client.post(
        PROFILE_URL,
        {
            "intent": "add_period",
            "starts": "" if starts is None else (today + timedelta(days=starts)).isoformat(),
            "ends": (today + timedelta(days=ends)).isoformat(),
        },
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["period_form"].errors
    assert not Unavailability.objects.exists()
    assert not AuditEvent.objects.filter(action="unavailability_added").exists()


def test_a_period_that_started_earlier_but_goes_on_is_accepted(consultant, client_for):
    today = timezone.localdate()
    response = client_for(consultant).post(
        PROFILE_URL,
        {
            "intent": "add_period",
            "starts": (today - timedelta(days=3)).isoformat(),
            "ends": today.isoformat(),
        },
    )
    assert response.status_code == 302
    assert Unavailability.objects.count() == 1


def test_an_unknown_intent_is_a_bad_request(consultant, client_for):
    assert client_for(consultant).post(PROFILE_URL, {"intent": "x"}).status_code == 400


def test_the_services_refuse_to_change_another_consultants_rows(consultant, supplier):
    other = make_consultant("ville.toinen", supplier)
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        services.unavailability_add(
            actor=consultant, consultant=other.consultant, starts=today, ends=today
        )
    with pytest.raises(PermissionDenied):
        services.consultant_profile_update(
            actor=consultant,
            consultant=other.consultant,
            themes=[],
            languages=["fi"],
            regions=[],
            works_remotely=True,
            capacity_per_month=4,
        )
    period = services.unavailability_add(
        actor=other, consultant=other.consultant, starts=today, ends=today
    )
    with pytest.raises(Unavailability.DoesNotExist):
        services.unavailability_remove(
            actor=consultant, consultant=consultant.consultant, period=period
        )
    assert Unavailability.objects.filter(pk=period.pk).exists()
