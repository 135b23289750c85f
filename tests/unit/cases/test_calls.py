"""Calls for applications on the coordinator's pages: texts in three languages, open and close."""

from datetime import timedelta

import pytest
from django.test import Client

from sparring import clock
from sparring.cases import selectors, services
from sparring.models import AuditEvent, Call, Theme
from tests.conftest import application_data


def in_language(client: Client, language: str) -> Client:
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def call_form(**overrides) -> dict:
    now = clock.now()
    today = clock.today()
    data = {
        "title": "Sparrausten haku 2027",
        "title_sv": "Ansökan om sparrning 2027",
        "title_en": "Call for sparring 2027",
        "description": "Maksutonta sparrausta työyhteisöille.",
        "description_sv": "Avgiftsfri sparrning för arbetsgemenskaper.",
        "description_en": "",
        "opens_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M"),
        "delivery_starts": today.isoformat(),
        "delivery_ends": (today + timedelta(days=300)).isoformat(),
        "day_budget": "80",
        "agreement": "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_a_coordinator_creates_a_call_that_applicants_read_in_their_language(
    coordinator, applicant, other_applicant, reference_data, client_for
):
    themes = list(Theme.objects.filter(code__in=["workload-wellbeing", "co-development"]))
    response = client_for(coordinator).post(
        "/coordinator/calls/new/", {**call_form(), "themes": [t.pk for t in themes]}
    )
    assert response.status_code == 302
    call = Call.objects.get()
    assert call.title_sv == "Ansökan om sparrning 2027"
    assert set(call.themes.all()) == set(themes)
    event = AuditEvent.objects.get(action="call_created")
    assert event.actor == coordinator and event.data["changed"]["title"][1] == call.title
    finnish = client_for(applicant).get("/applicant/").content.decode()
    assert "Sparrausten haku 2027" in finnish and "Maksutonta sparrausta" in finnish
    swedish = in_language(client_for(other_applicant), "sv").get("/applicant/").content.decode()
    assert "Ansökan om sparrning 2027" in swedish and "Avgiftsfri sparrning" in swedish
    assert "Sparrausten haku 2027" not in swedish
    english = in_language(client_for(applicant), "en").get("/applicant/").content.decode()
    assert "Call for sparring 2027" in english
    assert "Maksutonta sparrausta" in english  # no English description: the Finnish one
    form = in_language(client_for(other_applicant), "sv").get(f"/calls/{call.pk}/apply/")
    html = form.content.decode()
    assert "Ansökan om sparrning 2027" in html and "Avgiftsfri sparrning" in html
    # only the themes the call offers
    offered = set(form.context["form"].fields["theme"].queryset)
    assert offered == set(themes)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [
        {"closes_at": "2020-01-01T10:00"},  # before it opens
        {"delivery_ends": "2020-01-01"},  # before delivery starts
        {"title": ""},
        {"day_budget": "-3"},
        {"opens_at": "not a time"},
    ],
)
def test_bad_input_is_shown_on_the_form(coordinator, client_for, overrides):
    response = client_for(coordinator).post("/coordinator/calls/new/", call_form(**overrides))
    assert response.status_code == 400
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_editing_records_old_and_new_values(coordinator, open_call, client_for):
    data = call_form(title="Sparrausten haku 2026 (jatkettu)")
    response = client_for(coordinator).post(f"/coordinator/calls/{open_call.pk}/", data)
    assert response.status_code == 302
    open_call.refresh_from_db()
    assert open_call.title == "Sparrausten haku 2026 (jatkettu)"
    event = AuditEvent.objects.get(action="call_changed")
    assert event.data["changed"]["title"] == ["Sparrausten haku 2026", open_call.title]


@pytest.mark.django_db
def test_the_budget_cannot_fall_below_the_days_approved(
    coordinator, submitted_case, open_call, client_for
):
    services.case_decide(
        actor=coordinator,
        case=submitted_case,
        decision=services.Decision.APPROVE,
        approved_days=2,
        comment="",
        version=submitted_case.version,
    )
    response = client_for(coordinator).post(
        f"/coordinator/calls/{open_call.pk}/", call_form(day_budget="1")
    )
    assert response.status_code == 400
    open_call.refresh_from_db()
    assert open_call.day_budget == 100


@pytest.mark.django_db
def test_a_call_with_cases_is_closed_not_deleted_and_can_reopen(
    coordinator, draft_case, open_call, client_for
):
    client = client_for(coordinator)
    assert client.post(f"/coordinator/calls/{open_call.pk}/close/").status_code == 302
    open_call.refresh_from_db()
    assert not open_call.is_open()
    assert open_call not in selectors.open_calls()
    assert draft_case.call == open_call and Call.objects.filter(pk=open_call.pk).exists()
    assert AuditEvent.objects.filter(action="call_closed").count() == 1
    # reopening a closed call needs a closing time in the future
    client.post(f"/coordinator/calls/{open_call.pk}/open/", {"closes_at": ""})
    open_call.refresh_from_db()
    assert not open_call.is_open()
    later = (clock.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/coordinator/calls/{open_call.pk}/open/", {"closes_at": later})
    open_call.refresh_from_db()
    assert open_call.is_open()
    assert AuditEvent.objects.filter(action="call_opened").count() == 1
    # a call is never deleted on these pages
    assert client.post(f"/coordinator/calls/{open_call.pk}/delete/").status_code == 302
    assert Call.objects.filter(pk=open_call.pk).exists()


@pytest.mark.django_db
def test_a_call_not_open_yet_opens_now(coordinator, open_call):
    Call.objects.filter(pk=open_call.pk).update(opens_at=clock.now() + timedelta(days=3))
    open_call.refresh_from_db()
    services.call_open(actor=coordinator, call=open_call)
    open_call.refresh_from_db()
    assert open_call.is_open()


@pytest.mark.django_db
def test_call_pages_are_the_coordinators(users_by_role, open_call, client_for):
    for role, user in users_by_role.items():
        client = client_for(user)
        expected = 200 if role == "coordinator" else 403
        assert client.get("/coordinator/calls/").status_code == expected
        assert client.get("/coordinator/calls/new/").status_code == expected
        status = client.post(f"/coordinator/calls/{open_call.pk}/close/").status_code
        assert status == (302 if role == "coordinator" else 403)


@pytest.mark.django_db
def test_the_call_list_keeps_its_query_count(
    coordinator, client_for, reference_data, django_assert_max_num_queries
):
    client = client_for(coordinator)

    def add(n):
        for k in range(n):
            Call.objects.create(
                title=f"Haku {k}",
                opens_at=clock.now() - timedelta(days=k + 1),
                closes_at=clock.now() + timedelta(days=k + 1),
                delivery_starts=clock.today(),
                delivery_ends=clock.today() + timedelta(days=100),
                day_budget=10,
            )

    add(2)
    with django_assert_max_num_queries(10) as few:
        assert client.get("/coordinator/calls/").status_code == 200
    add(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/coordinator/calls/?page=2").status_code == 200


@pytest.mark.django_db
def test_the_staff_call_page_is_not_the_applicants_page(coordinator, open_call, client_for):
    response = client_for(coordinator).get("/staff/programme/call/", follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Avoimet haut" not in html.split("<main", 1)[-1][:400]
    assert response.redirect_chain[-1][0] == "/coordinator/calls/"


@pytest.mark.django_db
def test_the_call_off_uses_the_agreement_the_call_names(coordinator, open_call, agreement):
    from procurement import calloff

    assert calloff.agreement_in_force(call=open_call) == agreement
    open_call.agreement = agreement
    open_call.save()
    assert calloff.agreement_in_force(call=open_call) == agreement
    agreement.active = False
    agreement.save()
    assert calloff.agreement_in_force(call=open_call) is None


@pytest.mark.django_db
def test_an_application_keeps_its_theme_when_the_call_stops_offering_it(
    applicant, open_call, reference_data
):
    from sparring.cases.forms import ApplicationForm

    case = services.case_create(actor=applicant, call=open_call, data=application_data())
    open_call.themes.set(Theme.objects.filter(code="co-development"))
    form = ApplicationForm(instance=case, call=open_call)
    codes = set(form.fields["theme"].queryset.values_list("code", flat=True))
    assert codes == {"co-development", "workload-wellbeing"}
