"""Fixtures shared by the whole suite, and the rule that CI runs everything.

With CI=true a skipped test is a failed test: CI runs on real PostgreSQL, Redis,
Celery and Chromium, and a test that could not run there is a broken setup.
Outside CI, tests that need a missing service are skipped and the summary at
the end says what was not run and why.
"""

import os

import pytest
from django.test import Client

from procurement.models import Supplier
from procurement.services import consultant_create, supplier_create
from sparring.accounts.services import organisation_create, user_create
from sparring.models import Organisation, User

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PASSWORD = "correct-horse-battery-9"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"Skipped in CI, where everything must run: {reason}"


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        reasons = sorted(
            {r.longrepr[2] if isinstance(r.longrepr, tuple) else str(r.longrepr) for r in skipped}
        )
        terminalreporter.section("not run here")
        terminalreporter.write_line(f"{len(skipped)} test(s) were skipped on this machine:")
        for reason in reasons:
            terminalreporter.write_line(f"  - {reason}")
        terminalreporter.write_line("CI (.ci/run) starts the services and runs them all.")


@pytest.fixture(autouse=True)
def _language_reset():
    """Each test starts in the default language: a request through LocaleMiddleware
    leaves its language active in the thread, which would leak into the next test."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


# ------------------------------------------------------------------------------
# People of each role
# ------------------------------------------------------------------------------


@pytest.fixture
def organisation(db) -> Organisation:
    return organisation_create(
        actor=None,
        name_fi="Tampereen kaupunki",
        name_sv="Tammerfors stad",
        business_id="0211675-2",
        kind=Organisation.Kind.MUNICIPALITY,
        municipality_code="837",
    )


@pytest.fixture
def other_organisation(db) -> Organisation:
    return organisation_create(
        actor=None,
        name_fi="Espoon kaupunki",
        name_sv="Esbo stad",
        business_id="0101263-6",
        kind=Organisation.Kind.MUNICIPALITY,
        municipality_code="049",
    )


@pytest.fixture
def agreement(db):
    from datetime import timedelta

    from django.utils import timezone

    from procurement.services import agreement_create

    today = timezone.localdate()
    return agreement_create(
        actor=None,
        notice_reference="2021-123456",
        title="Sparrauspalvelut, puitejärjestely",
        valid_from=today - timedelta(days=365),
        valid_until=today + timedelta(days=700),
        method="ranking",
        budget="300000.00",
        default_day_price="1100.00",
    )


@pytest.fixture
def supplier(agreement) -> Supplier:
    return supplier_create(
        actor=None,
        name="Kehittäjäkumppanit Oy",
        business_id="1234567-1",
        ranking_position=1,
        day_price="1150.00",
        agreement=agreement,
    )


def make_consultant(username: str, supplier, **qualifications):
    """A consultant user of ``supplier``, by default able to take any Finnish case anywhere."""
    from sparring.models import Theme

    user = make_user(User.Role.CONSULTANT, username)
    defaults = {
        "themes": list(Theme.objects.all()),
        "languages": ["fi", "sv"],
        "works_remotely": True,
    }
    defaults.update(qualifications)
    consultant_create(actor=None, user=user, supplier=supplier, **defaults)
    return user


def make_user(role: str, username: str, **extra) -> User:
    return user_create(
        actor=None,
        username=username,
        email=f"{username}@example.invalid",
        role=role,
        password=PASSWORD,
        first_name=username.split(".")[0].title(),
        last_name="Testinen",
        **extra,
    )


@pytest.fixture
def applicant(organisation) -> User:
    return make_user(User.Role.APPLICANT, "anna.hakija", organisation=organisation)


@pytest.fixture
def other_applicant(other_organisation) -> User:
    return make_user(User.Role.APPLICANT, "erik.hakija", organisation=other_organisation)


@pytest.fixture
def coordinator(db) -> User:
    return make_user(User.Role.COORDINATOR, "kaisa.koordinaattori")


@pytest.fixture
def consultant(supplier, reference_data) -> User:
    return make_consultant("kalle.konsultti", supplier)


@pytest.fixture
def steering(db) -> User:
    return make_user(User.Role.STEERING, "olli.ohjaaja")


@pytest.fixture
def users_by_role(applicant, coordinator, consultant, steering) -> dict[str, User]:
    return {
        "applicant": applicant,
        "coordinator": coordinator,
        "consultant": consultant,
        "steering": steering,
    }


@pytest.fixture
def client_for():
    """A logged-in test client for a user."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


# ------------------------------------------------------------------------------
# Calls and cases
# ------------------------------------------------------------------------------


@pytest.fixture
def reference_data(db):
    """Sectors and themes as the data migration seeds them (transactional tests flush them)."""
    import importlib

    from django.apps import apps

    importlib.import_module("sparring.migrations.0004_reference_data").add_reference_data(
        apps, None
    )


@pytest.fixture
def open_call(db, reference_data):
    from datetime import timedelta

    from django.utils import timezone

    from sparring.models import Call

    now = timezone.now()
    today = timezone.localdate()
    return Call.objects.create(
        title="Sparrausten haku 2026",
        description="Maksutonta sparrausta kuntaorganisaatioille.",
        opens_at=now - timedelta(days=10),
        closes_at=now + timedelta(days=60),
        delivery_starts=today - timedelta(days=30),
        delivery_ends=today + timedelta(days=300),
        day_budget=100,
    )


def application_data(**overrides) -> dict:
    from sparring.models import Sector, Theme

    data = {
        "unit": "Kotihoito, itäinen alue",
        "whole_organisation": False,
        "sector": Sector.objects.get(code="social-health"),
        "theme": Theme.objects.get(code="workload-wellbeing"),
        "development_need": "Kuormitus on kasvanut ja työnjako on epäselvä.",
        "goal": "Yhteinen näkemys työnjaosta ja kuormituksen keventämisestä.",
        "target_group": "Kotihoidon hoitajat ja esihenkilöt",
        "estimated_participants": 25,
        "requested_days": 2,
        "preferred_period": "syksy 2026",
        "language": "fi",
        "contact_name": "Anna Hakija",
        "contact_email": "anna.yhteys@example.invalid",
        "contact_phone": "040 123 4567",
        "staff_representative": "Pekka Luottamusmies, pääluottamusmies",
    }
    data.update(overrides)
    return data


@pytest.fixture
def draft_case(applicant, open_call):
    from sparring.cases.services import case_create

    return case_create(actor=applicant, call=open_call, data=application_data())


@pytest.fixture
def submitted_case(applicant, draft_case, coordinator):
    from sparring.cases.services import case_submit

    return case_submit(actor=applicant, case=draft_case, version=draft_case.version)


REPORT = {
    "participants": 20,
    "refined_goal": "Työnjaon selkiyttäminen kotihoidossa",
    "implementation": "Kaksi työpajaa ja välitehtävä",
    "themes_covered": "Kuormitus, työnjako, pelisäännöt",
    "results": "Yhteiset pelisäännöt ja työnjakomalli",
    "follow_up": "Seurantapalaveri keväällä",
}


@pytest.fixture
def reported_case(submitted_case, coordinator, consultant, applicant):
    """A case whose consultant has filed the report (its PDF made, its survey open)."""
    from django.core import mail
    from django.utils import timezone

    from sparring.cases import services
    from sparring.reports import services as report_services
    from tests.unit.cases.test_case_flow import fresh, walk_to_delivery

    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    case.days_planned.update(date=timezone.localdate())
    for day in case.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)
    mail.outbox.clear()
    report_services.report_submit(
        actor=consultant, case=fresh(case), data=REPORT, version=fresh(case).version
    )
    return fresh(case)


# ------------------------------------------------------------------------------
# The second factor in tests (issue 15)
# ------------------------------------------------------------------------------
# ``client.force_login(user)`` starts a session without a password login, so no
# second factor is asked for and no session time limit applies: the many tests
# that use it test what a signed-in person does, not how they signed in. A real
# login (the login page, ``client.login``, the browser tests' ``login``) of a
# coordinator or staff member asks for the second factor; these complete it.


def second_factor_secret(user) -> str:
    """Give ``user`` a confirmed authenticator app (once) and return its secret; the
    last accepted step is forgotten so that a test can log in twice in 30 seconds."""
    from sparring.accounts import twofactor
    from sparring.accounts.models import SecondFactor

    factor = SecondFactor.objects.filter(user=user, confirmed_at__isnull=False).first()
    if factor is None:
        twofactor.enrol_for_demo(user=user, secret=twofactor.new_secret())
        factor = SecondFactor.objects.get(user=user)
    SecondFactor.objects.filter(pk=factor.pk).update(last_step=0)
    return factor.secret


def complete_second_factor(client, user):
    """After a password login of ``user`` with ``client``: give the authenticator's code
    (enrolling ``user`` first if needed). Returns the response of the code's page."""
    from sparring.accounts import twofactor

    secret = second_factor_secret(user)
    return client.post("/accounts/second-factor/", {"code": twofactor.current_code(secret)})


def login_fully(client, user, password: str = PASSWORD):
    """A real login of ``user`` through the login page, with the second factor if needed."""
    from sparring.accounts import security

    response = client.post("/accounts/login/", {"username": user.username, "password": password})
    assert response.status_code == 302, response.content[:500]
    if client.session.get(security.SESSION_SECOND_FACTOR) == security.SECOND_FACTOR_PENDING:
        response = complete_second_factor(client, user)
    return response


@pytest.fixture
def broker_down(monkeypatch):
    """Every dispatch fails as if Redis did not answer; call the result to bring it back."""
    from sparring import background

    def refuse(name):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379 (test)")

    monkeypatch.setattr(background, "_task", refuse)
    monkeypatch.setattr(background, "_broker_down_until", 0.0)

    def back():
        monkeypatch.undo()
        background._broker_down_until = 0.0

    return back


@pytest.fixture
def list_cache(settings):
    """The cache of read-mostly lists on (``sparring.list_cache``; the suite runs with it
    off: ``config.settings.test``), from an empty cache."""
    from django.core.cache import cache

    settings.SPARRING_LIST_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()
