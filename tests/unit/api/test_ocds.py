"""The OCDS open-data export of call-offs and contracts: it validates against the
OCDS 1.1 release schema (a subset written for these tests, tests/data/), carries no
personal data, keeps its query count, and its totals are the ledger's."""

import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext

from procurement import minicompetition, reports
from procurement.models import CallOff, FrameworkAgreement, MiniCompetition, Tender
from sparring.api import ocds
from sparring.cases import services
from sparring.models import Case, SessionDay
from tests.conftest import make_consultant
from tests.unit.procurement.test_calloff import approved_case
from tests.unit.procurement.test_procurement_reports import delivered_case

pytestmark = pytest.mark.django_db(transaction=True)

RELEASE_SCHEMA = json.loads(
    (Path(__file__).parents[2] / "data" / "ocds-1.1-release-subset.json").read_text()
)


@pytest.fixture(autouse=True)
def generous_rates(settings):
    settings.SPARRING_API_RATES = {"anon": "10000/minute", "user": "10000/minute"}
    cache.clear()


def validate(package: dict) -> None:
    assert package["version"] == "1.1"
    assert {"publishedDate", "publisher", "releases"} <= set(package)
    validator = jsonschema.Draft4Validator(
        RELEASE_SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    for release in package["releases"]:
        errors = sorted(validator.iter_errors(release), key=lambda e: list(e.path))
        assert not errors, (release["ocid"], [f"{list(e.path)}: {e.message}" for e in errors])
    ocids = [(r["ocid"], r["id"]) for r in package["releases"]]
    assert len(ocids) == len(set(ocids))


def totals(package: dict, agreement: FrameworkAgreement) -> dict:
    """Committed euros (contracts + pending awards) and delivered days of the
    call-offs under ``agreement``, read from the releases alone."""
    framework = ocds.agreement_ocid(agreement)
    committed = Decimal("0")
    delivered_days = 0
    for release in package["releases"]:
        related = [p["identifier"] for p in release.get("relatedProcesses", [])]
        if framework not in related:
            continue
        contracts = release.get("contracts", [])
        for contract in contracts:
            value = Decimal(str(contract["value"]["amount"]))
            committed += value
            met = [
                m
                for m in contract.get("implementation", {}).get("milestones", [])
                if m["status"] == "met"
            ]
            delivered_days += len(met)
        award_values = {a["id"]: a for a in release.get("awards", [])}
        for award in award_values.values():
            if award["status"] == "pending":
                committed += Decimal(str(award["value"]["amount"]))
        for contract in contracts:
            assert award_values[contract["awardID"]]["status"] == "active"
    return {"committed_eur": committed, "delivered_days": delivered_days}


@pytest.fixture
def programme(applicant, other_applicant, coordinator, open_call, agreement, supplier):
    """A few cases driven through the services: delivering, reported, an open offer, a
    declined offer offered again, and a case cancelled after one held day."""
    kalle = make_consultant("kalle.k", supplier, capacity_total=100, capacity_per_month=20)
    ville = make_consultant("ville.v", supplier, capacity_total=100, capacity_per_month=20)
    delivered_case(applicant, coordinator, open_call, kalle, held=1)
    delivered_case(other_applicant, coordinator, open_call, kalle, held=2)
    # an offer waiting for its answer: a pending award
    waiting = approved_case(applicant, coordinator, open_call)
    services.case_call_off(
        actor=coordinator,
        case=waiting,
        consultant=kalle.consultant,
        justification="x",
        version=waiting.version,
    )
    # declined, then offered to another consultant: one unsuccessful, one pending award
    declined = approved_case(other_applicant, coordinator, open_call, days=1)
    offer = services.case_call_off(
        actor=coordinator,
        case=declined,
        consultant=kalle.consultant,
        justification="x",
        version=declined.version,
    )
    services.offer_answer(actor=kalle, offer=offer, accept=False, reason="Ei aikaa")
    declined.refresh_from_db()
    services.case_call_off(
        actor=coordinator,
        case=declined,
        consultant=ville.consultant,
        justification="y",
        version=declined.version,
    )
    # cancelled by a coordinator after one day was held: the held day stays committed
    stopped = delivered_case(applicant, coordinator, open_call, ville, held=1)
    services.case_cancel(
        actor=coordinator, case=stopped, reason="Organisaatiomuutos", version=stopped.version
    )
    return {"consultants": [kalle, ville]}


def test_the_export_validates_and_its_totals_equal_the_ledger(programme, agreement):
    response = Client().get("/api/v1/open-data/ocds/")  # open data: no login
    assert response.status_code == 200
    package = response.json()
    validate(package)

    ledger = reports.ledger(agreement)
    found = totals(package, agreement)
    assert found["committed_eur"] == ledger.committed_eur == Decimal("9200")
    assert found["delivered_days"] == ledger.delivered_days == 4

    calloffs = [r for r in package["releases"] if r["ocid"] != ocds.agreement_ocid(agreement)]
    assert len(calloffs) == 5
    statuses = sorted(a["status"] for r in calloffs for a in r["awards"])
    assert statuses == ["active", "active", "active", "pending", "pending", "unsuccessful"]
    contracts = sorted(c["status"] for r in calloffs for c in r.get("contracts", []))
    assert contracts == ["active", "active", "terminated"]
    framework = next(r for r in package["releases"] if r["ocid"] == ocds.agreement_ocid(agreement))
    assert [a["suppliers"][0]["name"] for a in framework["awards"]] == ["Kehittäjäkumppanit Oy"]
    assert framework["tender"]["value"] == {"amount": 300000.0, "currency": "EUR"}


def test_the_export_has_no_personal_data(programme, applicant, coordinator):
    from sparring.models import User

    text = Client().get("/api/v1/open-data/ocds/").content.decode()
    people = list(User.objects.all())
    assert people
    for person in people:
        for value in (person.username, person.email, person.last_name):
            assert value and value not in text, value
    for case in Case.objects.all():
        for value in (case.contact_name, case.contact_email, case.contact_phone, case.goal):
            assert value not in text, value
        assert case.staff_representative not in text


def test_the_export_runs_the_same_queries_for_one_or_five_call_offs(
    applicant, coordinator, open_call, agreement, supplier
):
    kalle = make_consultant("kalle.k", supplier, capacity_total=100, capacity_per_month=20)
    delivered_case(applicant, coordinator, open_call, kalle, held=1)
    with CaptureQueriesContext(connection) as one:
        Client().get("/api/v1/open-data/ocds/")
    for held in (0, 1, 2, 2):
        delivered_case(applicant, coordinator, open_call, kalle, held=held)
    with CaptureQueriesContext(connection) as five:
        package = Client().get("/api/v1/open-data/ocds/").json()
    assert len(package["releases"]) == 6
    assert len(one) == len(five)


def test_a_mini_competition_shows_its_tenderers_only_after_the_deadline(
    applicant, coordinator, open_call, agreement, supplier
):
    from tests.unit.procurement.test_minicompetition import open_it, pass_deadline

    agreement.method = "mini_competition"
    agreement.save()
    aino = make_consultant("aino.a", supplier)
    case = approved_case(applicant, coordinator, open_call)
    competition = open_it(case, coordinator, price_weight=40)
    tender = minicompetition.tender_submit(
        actor=aino,
        competition=competition,
        day_price=Decimal("800"),
        proposed_dates="vk 12",
        approach="Lähestymistapa",
    )

    def release():
        package = Client().get("/api/v1/open-data/ocds/").json()
        validate(package)
        return next(r for r in package["releases"] if r["ocid"].endswith(case.reference))

    sealed = release()
    assert sealed["tender"]["status"] == "active" and "tenderers" not in sealed["tender"]
    assert sealed["tender"]["procurementMethod"] == "selective"
    assert "awards" not in sealed

    pass_deadline(competition)
    case.refresh_from_db()
    minicompetition.competition_award(
        actor=coordinator, competition=competition, scores={tender.pk: 7}, version=case.version
    )
    awarded = release()
    assert awarded["tender"]["numberOfTenderers"] == 1
    assert [t["name"] for t in awarded["tender"]["tenderers"]] == ["Kehittäjäkumppanit Oy"]
    (award,) = awarded["awards"]
    assert award["status"] == "pending" and award["value"] == {"amount": 1600.0, "currency": "EUR"}
    assert "aino" not in json.dumps(awarded).lower()


def test_the_export_is_paged_with_links_to_the_next_page(
    applicant, coordinator, open_call, agreement, supplier, monkeypatch
):
    """Given three call-offs and pages of two (issue 17: at 100 000 cases one package was
    160 MB), the first page has the agreement and two call-offs and links to the next;
    the second has the third call-off and links back; together every release once."""
    monkeypatch.setattr(ocds, "PAGE_SIZE", 2)
    kalle = make_consultant("kalle.k", supplier, capacity_total=100, capacity_per_month=20)
    for held in (0, 1, 2):
        delivered_case(applicant, coordinator, open_call, kalle, held=held)

    first = Client().get("/api/v1/open-data/ocds/").json()
    validate(first)
    assert len(first["releases"]) == 3  # the agreement and two call-offs
    assert first["links"]["next"].endswith("/api/v1/open-data/ocds/?page=2")
    assert "prev" not in first["links"]
    second = Client().get(first["links"]["next"]).json()
    validate(second)
    assert len(second["releases"]) == 1
    assert second["links"]["prev"].endswith("/api/v1/open-data/ocds/?page=1")
    assert "next" not in second["links"]
    ocids = [r["ocid"] for r in first["releases"] + second["releases"]]
    assert len(ocids) == len(set(ocids)) == 4
    assert Client().get("/api/v1/open-data/ocds/?page=x").status_code == 200
    assert Client().get("/api/v1/open-data/ocds/?page=99").json()["releases"] == []


def old_called_off_cases():
    """``ocds.called_off_cases`` before issue 17: an ``OR`` of two ``EXISTS`` (PostgreSQL
    hashed every call-off of the programme for each page), the relations prefetched into
    each record's related managers (the reference of both the rule and the releases)."""
    return (
        Case.objects.filter(
            Exists(CallOff.objects.filter(case=OuterRef("pk")))
            | Exists(MiniCompetition.objects.filter(case=OuterRef("pk")))
        )
        .exclude(Q(reference__isnull=True) | Q(reference=""))
        .select_related("organisation", "theme")
        .prefetch_related(
            Prefetch(
                "call_offs",
                queryset=CallOff.objects.select_related(
                    "agreement", "chosen__supplier", "offer"
                ).order_by("decided_at", "pk"),
            ),
            Prefetch(
                "mini_competitions",
                queryset=MiniCompetition.objects.select_related("agreement")
                .prefetch_related(
                    Prefetch(
                        "tenders",
                        queryset=Tender.objects.select_related("supplier").order_by(
                            "supplier__ranking_position", "pk"
                        ),
                    )
                )
                .order_by("opened_at", "pk"),
            ),
            Prefetch("days_planned", queryset=SessionDay.objects.order_by("date", "pk")),
        )
        .order_by("reference")
    )


def test_the_pages_hold_the_cases_of_the_old_rule_in_its_order(
    programme, applicant, coordinator, open_call, agreement, monkeypatch
):
    """Call-offs (accepted, declined and offered again, cancelled), a mini-competition
    without a call-off and an approved case without either: the new query finds the old
    rule's cases in the same order, and the pages together hold them once each."""
    from tests.unit.procurement.test_minicompetition import open_it

    agreement.method = "mini_competition"
    agreement.save()
    open_it(approved_case(applicant, coordinator, open_call), coordinator, price_weight=40)
    approved_case(applicant, coordinator, open_call)  # neither: not published
    expected = list(old_called_off_cases().values_list("pk", flat=True))
    assert len(expected) == 6
    assert list(ocds.called_off_case_ids().values_list("pk", flat=True)) == expected
    assert [case.pk for case in ocds.called_off_cases()] == expected
    monkeypatch.setattr(ocds, "PAGE_SIZE", 4)
    references = []
    for page in (1, 2):
        package = Client().get(f"/api/v1/open-data/ocds/?page={page}").json()
        validate(package)
        references += [
            r["ocid"].removeprefix(f"{ocds._prefix()}-")
            for r in package["releases"]
            if r["ocid"] != ocds.agreement_ocid(agreement)
        ]
    assert references == [Case.objects.get(pk=pk).reference for pk in expected]


def test_the_releases_are_what_they_were_with_the_relations_read_into_lists(
    programme, applicant, coordinator, open_call, agreement, supplier
):
    """The prefetched relations are lists (``Prefetch.to_attr``, issue 17); the package is
    the one built from the related managers, byte for byte, with a mini-competition too."""
    from tests.unit.procurement.test_minicompetition import open_it, pass_deadline

    agreement.method = "mini_competition"
    agreement.save()
    aino = make_consultant("aino.a", supplier)
    for sealed in (True, False):
        case = approved_case(applicant, coordinator, open_call)
        competition = open_it(case, coordinator, price_weight=40)
        minicompetition.tender_submit(
            actor=aino,
            competition=competition,
            day_price=Decimal("800"),
            proposed_dates="vk 12",
            approach="Lähestymistapa",
        )
        if not sealed:
            pass_deadline(competition)
    now = ocds.clock.now()
    package = ocds.release_package(now=now)
    cases = list(old_called_off_cases()[: ocds.PAGE_SIZE])
    assert not hasattr(cases[0], "ocds_call_offs")
    reference = [ocds.call_off_release(case, now) for case in cases]
    releases = package["releases"][-len(reference) :]
    assert json.dumps(releases) == json.dumps(reference)
    assert any("tenderers" in r["tender"] for r in releases)
    assert len(reference) >= 7


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_a_methods_label_is_read_once_per_language_and_is_the_enums(language):
    """``ocds.method_label`` (issue 17, session 12: the label's translation looked up twice
    a call-off was a tenth of a page's Python) gives the enum's label in the active
    language; an unknown method is a ValueError, as the enum's."""
    from django.utils import translation

    with translation.override(language):
        for method in FrameworkAgreement.Method:
            assert ocds.method_label(method.value) == str(FrameworkAgreement.Method(method).label)
        with pytest.raises(ValueError):
            ocds.method_label("no-such-method")
