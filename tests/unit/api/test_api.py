"""The REST API (/api/v1/): public reads, tokens, what each role sees, the one write,
query counts and rate limits. The OCDS export and schemathesis have their own files."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from sparring.api.models import ApiToken, token_hash
from sparring.api.services import api_token_create, api_token_revoke
from sparring.cases import selectors, services
from sparring.models import AuditEvent, Case, SessionDay, Theme
from sparring.surveys.models import Survey, SurveyAnswer
from tests.conftest import application_data, make_consultant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def generous_rates(settings):
    """Rate limits out of the way (one test checks them); counters start from zero."""
    settings.SPARRING_API_RATES = {"anon": "10000/minute", "user": "10000/minute"}
    cache.clear()
    yield
    cache.clear()


def token_client(user) -> Client:
    _token, key = api_token_create(actor=user, name="test script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def submit(applicant, call, **data):
    case = services.case_create(actor=applicant, call=call, data=application_data(**data))
    return services.case_submit(actor=applicant, case=case, version=case.version)


# ------------------------------------------------------------------------------
# Public
# ------------------------------------------------------------------------------


def test_open_calls_read_anonymously_in_swedish(open_call):
    """Anyone reads the open calls; ?language=sv gives the Swedish names of what can be
    applied for, and the call's own text in Finnish (the only language it has), saying so."""
    response = Client().get("/api/v1/calls/?language=sv")

    assert response.status_code == 200
    assert response["Content-Language"] == "sv"
    (call,) = response.json()["results"]
    assert call["id"] == open_call.pk
    assert call["title"] == "Sparrausten haku 2026"
    assert call["text_language"] == "fi"
    themes = {t["code"]: t["name"] for t in call["applicable"]["themes"]}
    workload = Theme.objects.get(code="workload-wellbeing")
    assert themes["workload-wellbeing"] == workload.name_sv != workload.name_fi
    assert {lang["code"]: lang["name"] for lang in call["applicable"]["languages"]}[
        "fi"
    ] == "finska"
    assert call["applicable"]["days"] == [1, 2]
    assert call["apply_url"].endswith(f"/calls/{open_call.pk}/apply/")


def test_accept_language_chooses_the_language_too(open_call):
    response = Client().get("/api/v1/calls/", HTTP_ACCEPT_LANGUAGE="sv")
    assert response["Content-Language"] == "sv"
    themes = {t["code"]: t["name"] for t in response.json()["results"][0]["applicable"]["themes"]}
    assert themes["workload-wellbeing"] == Theme.objects.get(code="workload-wellbeing").name_sv


def test_a_closed_call_is_not_listed_and_an_unknown_language_is_400(open_call):
    open_call.closes_at = timezone.now() - timedelta(minutes=1)
    open_call.save(update_fields=["closes_at"])
    assert Client().get("/api/v1/calls/").json()["results"] == []
    assert Client().get(f"/api/v1/calls/{open_call.pk}/").status_code == 404
    assert Client().get("/api/v1/calls/?language=de").status_code == 400


def test_programme_figures_equal_programme_stats_with_no_grade_below_five_answers(
    reported_case, capsys
):
    """The public figures are programme_stats --json; both follow the survey disclosure
    rule (closed surveys only, no figure from under 5 answers)."""
    survey = reported_case.survey
    for grade in (5, 4, 5, 3):
        SurveyAnswer.objects.create(survey=survey, overall=grade)

    def command_output():
        call_command("programme_stats", "--json")
        return json.loads(capsys.readouterr().out)

    Survey.objects.filter(pk=survey.pk).update(closed=True)
    figures = Client().get("/api/v1/statistics/").json()
    stats = command_output()
    assert stats["answers"] == 0 and stats["average_grade"] is None
    assert figures == stats

    SurveyAnswer.objects.create(survey=survey, overall=5)
    figures = Client().get("/api/v1/statistics/").json()
    assert figures == command_output() and figures["average_grade"] == 4.4


def test_the_openapi_document_and_its_pages_are_served_without_a_cdn(client):
    schema = Client().get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/cases/{id}/" in document["paths"]
    assert Client().get("/openapi.json").json()["paths"] == document["paths"]
    for page in ("/api/v1/docs/", "/api/v1/redoc/"):
        html = Client().get(page).content.decode()
        assert "/static/drf_spectacular_sidecar/" in html
        assert "cdn." not in html and "unpkg" not in html
    assert Client().get("/swagger/")["Location"] == "/api/v1/docs/"
    assert Client().get("/api/v1/cases/-1/").json() == {"detail": "Ei löytynyt."}
    assert Client().post("/api/v1/days/-1/held/").json() == {"detail": "Ei löytynyt."}
    assert Client().get("/api/v1/calls")["Location"] == "/api/v1/calls/"


def test_the_openapi_document_validates():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    validate_schema(SchemaGenerator().get_schema(request=None, public=True))


# ------------------------------------------------------------------------------
# Tokens
# ------------------------------------------------------------------------------


def test_a_token_is_made_and_revoked_on_the_tokens_page_and_both_are_audited(applicant, client_for):
    page = client_for(applicant)
    made = page.post("/account/api-tokens/", {"intent": "create", "name": "Raportointi"})
    assert made.status_code == 200
    secret = made.context["secret"]
    assert secret.startswith("spr_") and secret in made.content.decode()
    token = ApiToken.objects.get(user=applicant)
    assert token.key_hash == token_hash(secret) and secret not in (token.key_hash, token.prefix)
    created = AuditEvent.objects.get(action="api_token_created")
    assert created.actor == applicant and secret not in json.dumps(created.data)

    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/me/").json()["role"] == "applicant"
    assert secret not in page.get("/account/api-tokens/").content.decode()  # shown once

    page.post("/account/api-tokens/", {"intent": "revoke", "token": token.pk})
    assert AuditEvent.objects.filter(action="api_token_revoked", actor=applicant).count() == 1
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_gets_401(applicant):
    token, key = api_token_create(actor=applicant, name="skripti")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/cases/").status_code == 200
    assert api_token_revoke(actor=applicant, token=token) is True
    assert api.get("/api/v1/cases/").status_code == 401
    assert api_token_revoke(actor=applicant, token=token) is False  # once is enough
    assert AuditEvent.objects.filter(action="api_token_revoked").count() == 1


def test_nobody_revokes_anothers_token(applicant, other_applicant, client_for):
    from django.core.exceptions import PermissionDenied

    token, key = api_token_create(actor=applicant, name="skripti")
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=other_applicant, token=token)
    page = client_for(other_applicant)
    assert (
        page.post("/account/api-tokens/", {"intent": "revoke", "token": token.pk}).status_code
        == 404
    )
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/me/").status_code == 200
    assert not AuditEvent.objects.filter(action="api_token_revoked").exists()


def test_a_coordinator_revokes_anyones_token_on_the_tokens_page(
    applicant, consultant, coordinator, client_for, django_assert_max_num_queries
):
    token, key = api_token_create(actor=applicant, name="vuotanut")
    api_token_create(actor=consultant, name="raportit")
    page = client_for(coordinator)
    with django_assert_max_num_queries(20) as few:
        listing = page.get("/account/api-tokens/").content.decode()
    assert "vuotanut" in listing and "raportit" in listing
    for n in range(5):  # more tokens, the same number of queries
        api_token_create(actor=consultant, name=f"lisä {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page.get("/account/api-tokens/")
    response = page.post("/account/api-tokens/", {"intent": "revoke", "token": token.pk})
    assert response.status_code == 302
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/me/").status_code == 401
    event = AuditEvent.objects.get(action="api_token_revoked")
    assert event.actor == coordinator and event.data["owner"] == applicant.pk
    # applicants and consultants see no one else's tokens
    assert "raportit" not in client_for(applicant).get("/account/api-tokens/").content.decode()


def test_a_token_needs_a_name_and_the_page_needs_a_login(applicant, client_for):
    response = client_for(applicant).post("/account/api-tokens/", {"intent": "create", "name": " "})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
    assert Client().get("/account/api-tokens/").status_code == 302


def test_unknown_token_or_no_credentials_get_401_and_an_inactive_owner_too(applicant):
    assert Client(HTTP_AUTHORIZATION="Bearer spr_nothing").get("/api/v1/me/").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer").get("/api/v1/me/").status_code == 401
    assert Client().get("/api/v1/cases/").status_code == 401
    api = token_client(applicant)
    applicant.is_active = False
    applicant.save(update_fields=["is_active"])
    assert api.get("/api/v1/me/").status_code == 401


def test_the_session_works_for_the_browser(applicant, client_for):
    assert client_for(applicant).get("/api/v1/me/").json()["username"] == applicant.username


# ------------------------------------------------------------------------------
# Cases and tasks
# ------------------------------------------------------------------------------


def test_an_applicants_token_sees_only_its_organisations_cases(
    applicant, other_applicant, open_call, coordinator
):
    own = submit(applicant, open_call)
    other = submit(other_applicant, open_call)
    api = token_client(applicant)

    listed = api.get("/api/v1/cases/").json()
    assert [c["id"] for c in listed["results"]] == [own.pk]
    assert api.get(f"/api/v1/cases/{other.pk}/").status_code == 404
    assert api.get("/api/v1/cases/999999/").status_code == 404

    detail = api.get(f"/api/v1/cases/{own.pk}/").json()
    assert detail["reference"] == own.reference
    assert [s["step"] for s in detail["steps"]] == ["review"]
    assert detail["steps"][0]["actor"] == "coordinator"
    assert detail["days"] == [] and detail["report"] is None and detail["documents"] == []


def test_every_listed_case_links_to_itself_in_the_api_and_on_its_page(
    applicant, open_call, coordinator
):
    """The addresses are reversed once per response and the id put in (issue 17): each
    row still names its own case, absolute, with the request's host, and both open."""
    cases = [submit(applicant, open_call) for _ in range(3)]
    api = token_client(coordinator)

    listed = api.get("/api/v1/cases/", HTTP_HOST="sparring.example.fi", secure=True).json()
    rows = {row["id"]: row for row in listed["results"]}
    assert set(rows) == {case.pk for case in cases}
    for case in cases:
        assert rows[case.pk]["url"] == f"https://sparring.example.fi/api/v1/cases/{case.pk}/"
        assert rows[case.pk]["page_url"] == (
            f"https://sparring.example.fi{reverse('sparring:case_detail', args=[case.pk])}"
        )
        assert rows[case.pk]["status_label"] == case.get_status_display()
        assert api.get(rows[case.pk]["url"]).json()["id"] == case.pk


def test_case_detail_has_days_report_and_document_links(reported_case, consultant, applicant):
    detail = token_client(applicant).get(f"/api/v1/cases/{reported_case.pk}/").json()
    assert [d["status"] for d in detail["days"]] == ["held", "held"]
    assert detail["report"]["revision"] == 1 and detail["report"]["participants"] == 20
    (document,) = [d for d in detail["documents"] if d["kind"] == "report"]
    assert document["url"].endswith(f"/cases/{reported_case.pk}/report-v1.pdf")
    assert detail["consultant"]["supplier"] == "Kehittäjäkumppanit Oy"
    # the link opens for the same person, through the page's own check
    pdf = Client()
    pdf.force_login(applicant)
    assert pdf.get(document["url"]).status_code == 200


def test_a_consultant_sees_no_case_offered_to_someone_else(
    submitted_case, coordinator, consultant, supplier
):
    from tests.unit.cases.test_case_flow import approve, offer_to

    other = make_consultant("ville.konsultti", supplier)
    approve(submitted_case, coordinator)
    offer_to(submitted_case, coordinator, consultant)
    assert token_client(consultant).get(f"/api/v1/cases/{submitted_case.pk}/").status_code == 200
    assert token_client(other).get(f"/api/v1/cases/{submitted_case.pk}/").status_code == 404
    assert token_client(other).get("/api/v1/cases/").json()["count"] == 0


def test_the_steering_group_sees_no_cases_and_no_ledger(steering, submitted_case):
    api = token_client(steering)
    assert api.get("/api/v1/cases/").json()["count"] == 0
    assert api.get(f"/api/v1/cases/{submitted_case.pk}/").status_code == 404
    assert api.get("/api/v1/ledger/").status_code == 403
    assert api.get("/api/v1/statistics/").status_code == 200


def test_case_list_filters_by_status_and_refuses_an_unknown_one(applicant, open_call, coordinator):
    submit(applicant, open_call)
    api = token_client(coordinator)
    assert api.get("/api/v1/cases/?status=submitted").json()["count"] == 1
    assert api.get("/api/v1/cases/?status=closed").json()["count"] == 0
    assert api.get("/api/v1/cases/?status=nonsense").status_code == 400


def test_case_list_searches_as_the_case_list_page_does(
    applicant, other_applicant, open_call, coordinator
):
    """``?q=`` finds what the search of the case list page finds (issue 17, session 10: the
    API ignored it and answered with every case, so a client could not tell that its
    search did nothing), among the caller's cases only; blank finds all; odd or long
    input is no error (the words after the search's first twelve do not count, as on the
    page)."""
    home_care = submit(applicant, open_call)
    school = submit(
        applicant,
        open_call,
        unit="Perusopetus, Lauttasaaren koulu",
        goal="Opettajien yhteinen suunnitelma.",
        development_need="Opettajien kuormitus.",
    )
    elsewhere = submit(other_applicant, open_call, unit="Lauttasaaren kirjasto")

    clients = {user.pk: token_client(user) for user in (applicant, other_applicant, coordinator)}

    def found(user, text):
        response = clients[user.pk].get("/api/v1/cases/", {"q": text})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["count"] == len(body["results"])
        return {row["id"] for row in body["results"]}

    assert found(coordinator, "Lauttasaaren") == {school.pk, elsewhere.pk}
    assert found(applicant, "Lauttasaaren") == {school.pk}
    assert found(other_applicant, "Kotihoito") == set()
    assert found(applicant, school.reference) == {school.pk}
    assert found(coordinator, "  ") == {home_care.pk, school.pk, elsewhere.pk}
    for odd in ['"', "%", "_", "a & !b", ":*", "\\", "<b>", "x" * 5000, "a " * 3000, "a\x00b"]:
        found(coordinator, odd)
    both = (
        clients[coordinator.pk]
        .get("/api/v1/cases/", {"q": "Lauttasaaren", "status": "submitted"})
        .json()
    )
    assert {row["id"] for row in both["results"]} == {school.pk, elsewhere.pk}


def test_tasks_are_the_open_steps_of_the_callers_role(
    applicant, open_call, coordinator, consultant
):
    from tests.unit.cases.test_case_flow import approve, offer_to

    waiting = submit(applicant, open_call)
    offered = submit(applicant, open_call)
    approve(offered, coordinator)
    offer_to(offered, coordinator, consultant)

    coordinator_tasks = token_client(coordinator).get("/api/v1/tasks/").json()["results"]
    assert [(t["case"]["id"], [s["step"] for s in t["steps"]]) for t in coordinator_tasks] == [
        (waiting.pk, ["review"])
    ]
    consultant_tasks = token_client(consultant).get("/api/v1/tasks/").json()["results"]
    assert [(t["case"]["id"], [s["step"] for s in t["steps"]]) for t in consultant_tasks] == [
        (offered.pk, ["offer"])
    ]
    assert token_client(applicant).get("/api/v1/tasks/").json()["results"] == []
    # the same steps as the case page's open_steps
    for case in (waiting, offered):
        case.refresh_from_db()
        detail = token_client(coordinator).get(f"/api/v1/cases/{case.pk}/").json()
        assert [s["step"] for s in detail["steps"]] == selectors.open_steps(case)


# ------------------------------------------------------------------------------
# Coordinators
# ------------------------------------------------------------------------------


def make_late(case, days: int = 12):
    """The case's waiting step started ``days`` ago and fell due long since."""
    from sparring.models import StepDeadline

    opened = timezone.now() - timedelta(days=days)
    StepDeadline.objects.filter(case=case).update(since=opened, due=opened + timedelta(days=7))
    return opened


def test_late_cases_are_those_with_a_step_past_its_due_date(applicant, open_call, coordinator):
    late = submit(applicant, open_call)
    submit(applicant, open_call)  # just submitted: not late
    opened = make_late(late)
    response = token_client(coordinator).get("/api/v1/late-cases/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["id"] == late.pk
    assert row["status"] == "submitted"
    assert row["late_step"] == "review"
    assert row["waiting_since"].startswith(timezone.localtime(opened).date().isoformat()[:7])
    # the same rule as the late-cases page
    from sparring.cases import selectors

    assert {d.case_id for d in selectors.latest_late_cases(10)} == {late.pk}


@pytest.mark.parametrize("path", ["/api/v1/late-cases/", "/api/v1/ledger/", "/api/v1/invoicing/"])
@pytest.mark.parametrize("role", ["applicant", "consultant", "steering"])
def test_coordinator_endpoints_are_403_for_other_roles(path, role, users_by_role, agreement):
    assert token_client(users_by_role[role]).get(path).status_code == 403
    assert Client().get(path).status_code == 401


def test_ledger_and_invoicing_basis_as_on_the_pages(
    applicant, coordinator, open_call, agreement, supplier
):
    from procurement import reports
    from tests.unit.procurement.test_procurement_reports import delivered_case

    kalle = make_consultant("kalle.k", supplier, capacity_total=100, capacity_per_month=20)
    case = delivered_case(applicant, coordinator, open_call, kalle, held=1)
    api = token_client(coordinator)

    ledger = api.get("/api/v1/ledger/").json()
    expected = reports.ledger(agreement)
    assert Decimal(ledger["committed_eur"]) == expected.committed_eur == Decimal("2300")
    assert ledger["delivered_days"] == expected.delivered_days == 1
    assert ledger["lines"][0]["supplier"] == "Kehittäjäkumppanit Oy"

    month = timezone.localdate().strftime("%Y-%m")
    rows = api.get(f"/api/v1/invoicing/?month={month}").json()["results"]
    assert [(r["case"], r["day_price"], r["participants"]) for r in rows] == [
        (case.reference, "1150.00", 12)
    ]
    assert api.get("/api/v1/invoicing/?month=2026-13").status_code == 400
    assert api.get("/api/v1/ledger/?agreement=99999").status_code == 404


# ------------------------------------------------------------------------------
# The one write: a day held
# ------------------------------------------------------------------------------


def test_a_consultant_records_a_day_held_through_the_pages_service(
    submitted_case, coordinator, consultant, applicant, supplier
):
    from tests.unit.cases.test_case_flow import walk_to_delivery

    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    case.days_planned.update(date=timezone.localdate())
    first, second = case.days_planned.order_by("pk")
    api = token_client(consultant)

    assert (
        token_client(applicant)
        .post(
            f"/api/v1/days/{first.pk}/held/", {"participants": 9}, content_type="application/json"
        )
        .status_code
        == 403
    )
    other = make_consultant("ville.konsultti", supplier)
    assert (
        token_client(other)
        .post(
            f"/api/v1/days/{first.pk}/held/", {"participants": 9}, content_type="application/json"
        )
        .status_code
        == 404
    )
    assert (
        api.post(
            f"/api/v1/days/{first.pk}/held/", {"participants": 0}, content_type="application/json"
        ).status_code
        == 400
    )
    assert (
        api.post(
            f"/api/v1/days/{first.pk}/held/", "not json", content_type="application/json"
        ).status_code
        == 400
    )
    assert not AuditEvent.objects.filter(action="day_held").exists()

    response = api.post(
        f"/api/v1/days/{first.pk}/held/", {"participants": 9}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "held" and response.json()["participants"] == 9
    assert AuditEvent.objects.get(action="day_held").actor == consultant
    again = api.post(
        f"/api/v1/days/{first.pk}/held/", {"participants": 9}, content_type="application/json"
    )
    assert again.status_code == 409

    second.date = timezone.localdate() + timedelta(days=3)
    second.save(update_fields=["date"])
    future = api.post(
        f"/api/v1/days/{second.pk}/held/", {"participants": 9}, content_type="application/json"
    )
    assert future.status_code == 400
    assert SessionDay.objects.get(pk=second.pk).status == SessionDay.Status.CONFIRMED


def test_a_write_with_the_session_needs_the_csrf_token(
    submitted_case, coordinator, consultant, applicant
):
    from tests.unit.cases.test_case_flow import walk_to_delivery

    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    case.days_planned.update(date=timezone.localdate())
    day = case.days_planned.first()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(consultant)
    response = browser.post(
        f"/api/v1/days/{day.pk}/held/", {"participants": 9}, content_type="application/json"
    )
    assert response.status_code == 403
    assert SessionDay.objects.get(pk=day.pk).status == SessionDay.Status.CONFIRMED


# ------------------------------------------------------------------------------
# Constant query counts and rate limits
# ------------------------------------------------------------------------------


def queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


def test_lists_run_the_same_queries_for_one_or_five_rows(
    applicant, open_call, coordinator, agreement
):
    first = submit(applicant, open_call)
    old = timezone.now() - timedelta(days=20)
    api = token_client(coordinator)
    applicant_api = token_client(applicant)
    paths = ["/api/v1/cases/", "/api/v1/tasks/", "/api/v1/late-cases/", "/api/v1/calls/"]

    def count_all():
        Task.objects.filter(flow_task__endswith=".review").update(created=old)
        for case in Case.objects.all():
            make_late(case, days=20)
        return {
            **{path: queries(api, path) for path in paths},
            "applicant cases": queries(applicant_api, "/api/v1/cases/"),
            "detail": queries(api, f"/api/v1/cases/{first.pk}/"),
        }

    one = count_all()
    for _n in range(4):
        submit(applicant, open_call)
    five = count_all()
    assert Case.objects.count() == 5
    assert api.get("/api/v1/late-cases/").json()["count"] == 5
    assert one == five


def test_too_many_requests_get_429(settings, open_call, applicant):
    settings.SPARRING_API_RATES = {"anon": "3/minute", "user": "4/minute"}
    anonymous = Client()
    assert [anonymous.get("/api/v1/calls/").status_code for _ in range(4)] == [200, 200, 200, 429]
    api = token_client(applicant)
    codes = [api.get("/api/v1/me/").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]


def test_the_tokens_page_speaks_finnish_and_swedish(applicant, client_for):
    page = client_for(applicant)
    assert "API-avaimet" in page.get("/account/api-tokens/").content.decode()
    page.cookies["sparring_language"] = "sv"
    assert "Du har inga API-nycklar." in page.get("/account/api-tokens/").content.decode()
    assert 'href="/account/api-tokens/"' in page.get("/applicant/").content.decode()


@pytest.mark.parametrize(("language", "text"), [("fi", "Ei löytynyt."), ("sv", "Hittades inte.")])
def test_not_found_is_translated_and_names_no_model(consultant, language, text):
    client = token_client(consultant)
    for response in (
        client.post("/api/v1/days/999999/held/", {}, HTTP_ACCEPT_LANGUAGE=language),
        client.get("/api/v1/cases/999999/", HTTP_ACCEPT_LANGUAGE=language),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": text}
