"""The call-off engine: eligibility, the methods' order, overrides and the decision record."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procurement import calloff
from procurement.models import CallOff, ConflictOfInterest, Offer, Supplier, Unavailability
from procurement.services import supplier_create
from sparring.cases import services
from sparring.models import Case, Theme
from tests.conftest import application_data, make_consultant

pytestmark = pytest.mark.django_db(transaction=True)


def approved_case(applicant, coordinator, call, days=2, **data):
    case = services.case_create(
        actor=applicant, call=call, data=application_data(requested_days=days, **data)
    )
    services.case_submit(actor=applicant, case=case, version=case.version)
    case.refresh_from_db()
    services.case_decide(
        actor=coordinator,
        case=case,
        decision="approve",
        comment="",
        version=case.version,
        approved_days=days,
    )
    case.refresh_from_db()
    return case


def second_supplier(agreement, **extra):
    return supplier_create(
        actor=None,
        name="Työyhteisövalmennus Ky",
        business_id="7654321-2",
        ranking_position=2,
        day_price="1090.00",
        agreement=agreement,
        **extra,
    )


def ranked_names(case, agreement):
    return [(c.name.split()[0], c.eligible) for c in calloff.candidates(case, agreement)]


def test_ranking_order_puts_the_best_ranked_supplier_first(
    applicant, coordinator, open_call, agreement, supplier
):
    other = second_supplier(agreement)
    make_consultant("bertta.b", other)
    make_consultant("aino.a", supplier)
    case = approved_case(applicant, coordinator, open_call)

    ranked = calloff.candidates(case, agreement)
    assert [c.supplier for c in ranked] == ["Kehittäjäkumppanit Oy", "Työyhteisövalmennus Ky"]
    assert calloff.proposal(ranked).name.startswith("Aino")
    assert [c.rank for c in ranked] == [1, 2]


def test_within_a_supplier_the_least_loaded_goes_first(
    applicant, coordinator, open_call, agreement, supplier
):
    busy = make_consultant("aino.a", supplier)
    make_consultant("bertta.b", supplier)
    first = approved_case(applicant, coordinator, open_call)
    services.case_call_off(
        actor=coordinator, case=first, consultant=busy.consultant, version=first.version
    )

    second = approved_case(applicant, coordinator, open_call)
    assert calloff.proposal(calloff.candidates(second, agreement)).name.startswith("Bertta")


@pytest.mark.parametrize(
    ("qualification", "reason"),
    [
        ({"languages": ["sv"]}, "language"),
        ({"themes": []}, "theme"),
        ({"works_remotely": False, "regions": ["19"]}, "region"),
        ({"capacity_total": 1}, "capacity"),
    ],
)
def test_each_missing_qualification_makes_a_consultant_ineligible_with_the_reason(
    qualification, reason, applicant, coordinator, open_call, agreement, supplier
):
    make_consultant("aino.a", supplier, **qualification)
    case = approved_case(applicant, coordinator, open_call)
    with translation.override("en"):
        (candidate,) = calloff.candidates(case, agreement)
    assert not candidate.eligible
    assert {"code": reason} == {"code": candidate.reasons[0]["code"]}
    with translation.override("en"):
        assert reason in calloff.reasons_text(candidate.reasons)


def test_conflict_unavailability_and_an_earlier_decline_exclude(
    applicant, coordinator, open_call, agreement, supplier
):
    conflicted = make_consultant("aino.a", supplier)
    away = make_consultant("bertta.b", supplier)
    decliner = make_consultant("celia.c", supplier)
    case = approved_case(applicant, coordinator, open_call)
    ConflictOfInterest.objects.create(
        consultant=conflicted.consultant,
        organisation=case.organisation,
        reason="Entinen työnantaja",
    )
    Unavailability.objects.create(
        consultant=away.consultant,
        starts=timezone.localdate() - timedelta(days=1),
        ends=open_call.delivery_ends,
    )
    Offer.objects.create(
        case=case,
        consultant=decliner.consultant,
        status=Offer.Status.DECLINED,
        deadline=timezone.now(),
    )

    ranked = calloff.candidates(case, agreement)
    assert [c.eligible for c in ranked] == [False, False, False]
    assert {c.consultant: [r["code"] for r in c.reasons] for c in ranked} == {
        conflicted.consultant.pk: ["conflict"],
        away.consultant.pk: ["unavailable"],
        decliner.consultant.pk: ["declined"],
    }
    assert calloff.proposal(ranked) is None
    with pytest.raises(ValidationError):
        services.case_call_off(actor=coordinator, case=case, version=case.version)
    case.refresh_from_db()
    assert case.status == Case.Status.APPROVED
    assert not CallOff.objects.exists()


def test_an_override_needs_a_justification_and_is_recorded(
    applicant, coordinator, open_call, agreement, supplier
):
    make_consultant("aino.a", supplier)
    chosen = make_consultant("bertta.b", supplier)
    case = approved_case(applicant, coordinator, open_call)

    with pytest.raises(ValidationError, match=r"justification|perustelu"):
        services.case_call_off(
            actor=coordinator, case=case, consultant=chosen.consultant, version=case.version
        )
    services.case_call_off(
        actor=coordinator,
        case=case,
        consultant=chosen.consultant,
        justification="Hakija toivoi ruotsinkielistä fasilitaattoria.",
        version=case.version,
    )

    record = CallOff.objects.get()
    assert record.overridden
    assert record.proposed.user.username == "aino.a"
    assert record.chosen == chosen.consultant
    assert record.override_justification.startswith("Hakija toivoi")
    assert len(record.candidates) == 2
    assert record.offer.consultant == chosen.consultant


def test_an_ineligible_consultant_cannot_be_chosen_even_with_a_justification(
    applicant, coordinator, open_call, agreement, supplier
):
    make_consultant("aino.a", supplier)
    outsider = make_consultant("bertta.b", supplier, languages=["en"])
    case = approved_case(applicant, coordinator, open_call)
    with pytest.raises(ValidationError):
        services.case_call_off(
            actor=coordinator,
            case=case,
            consultant=outsider.consultant,
            justification="Halutaan",
            version=case.version,
        )
    assert not Offer.objects.exists()


def test_rotation_gives_turns_by_planned_share(
    applicant, coordinator, open_call, agreement, supplier
):
    agreement.method = "rotation"
    agreement.save()
    Supplier.objects.filter(pk=supplier.pk).update(planned_share=2)
    other = second_supplier(agreement, planned_share=1)
    make_consultant("aino.a", supplier, capacity_total=100)
    make_consultant("bertta.b", other, capacity_total=100)

    turns = []
    for _ in range(6):
        case = approved_case(applicant, coordinator, open_call, days=1)
        offer = services.case_call_off(actor=coordinator, case=case, version=case.version)
        turns.append(offer.consultant.supplier.name[:4])
    assert turns.count("Kehi") == 4 and turns.count("Työy") == 2
    assert turns[:3] in (["Kehi", "Kehi", "Työy"], ["Kehi", "Työy", "Kehi"])


def test_the_call_off_page_shows_the_candidates_and_the_record(
    applicant, coordinator, open_call, agreement, supplier, client_for
):
    make_consultant("aino.a", supplier)
    make_consultant("bertta.b", supplier, languages=["en"])
    case = approved_case(applicant, coordinator, open_call)
    client = client_for(coordinator)

    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Aino Testinen" in page and "Bertta Testinen" in page
    services.case_call_off(actor=coordinator, case=case, version=case.version)
    record = CallOff.objects.get()
    csv = client.get(f"/cases/{case.pk}/call-offs/{record.pk}.csv")
    assert csv.status_code == 200
    text = csv.content.decode("utf-8-sig")
    assert "Aino Testinen" in text and "Bertta Testinen" in text
    assert (
        client_for(applicant).get(f"/cases/{case.pk}/call-offs/{record.pk}.csv").status_code == 404
    )


# ------------------------------------------------------------------------------
# Properties over generated agreements and case streams
# ------------------------------------------------------------------------------

consultant_profiles = st.lists(
    st.fixed_dictionaries(
        {
            "supplier": st.integers(0, 2),
            "languages": st.sampled_from([["fi"], ["sv"], ["fi", "sv"]]),
            "theme_count": st.integers(0, 6),
            "remote": st.booleans(),
            "capacity": st.integers(1, 6),
        }
    ),
    min_size=1,
    max_size=6,
)
case_stream = st.lists(
    st.tuples(st.sampled_from(["fi", "sv"]), st.integers(0, 5), st.sampled_from([1, 2])),
    min_size=1,
    max_size=8,
)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    profiles=consultant_profiles, cases=case_stream, method=st.sampled_from(["ranking", "rotation"])
)
def test_properties_never_ineligible_never_over_capacity_every_candidate_recorded(
    profiles, cases, method, applicant, coordinator, open_call, agreement
):
    from sparring.models import Case as CaseModel

    CallOff.objects.all().delete()
    Offer.objects.all().delete()
    CaseModel.objects.all().delete()
    from procurement.models import Consultant

    for consultant in Consultant.objects.all():
        user = consultant.user
        consultant.delete()
        user.delete()
    Supplier.objects.all().delete()
    agreement.method = method
    agreement.save()
    suppliers = [
        supplier_create(
            actor=None,
            name=f"Toimittaja {n}",
            business_id=bid,
            ranking_position=n + 1,
            day_price="1000",
            agreement=agreement,
            planned_share=n + 1,
        )
        for n, bid in enumerate(["1234567-1", "7654321-2", "0201256-6"])
    ]
    themes = list(Theme.objects.order_by("pk"))
    for n, profile in enumerate(profiles):
        make_consultant(
            f"k{n}.generated",
            suppliers[profile["supplier"]],
            languages=profile["languages"],
            themes=themes[: profile["theme_count"]],
            works_remotely=profile["remote"],
            regions=[],
            capacity_total=profile["capacity"],
        )

    for language, theme_index, days in cases:
        case = approved_case(
            applicant,
            coordinator,
            open_call,
            days=days,
            language=language,
            theme=themes[theme_index],
        )
        ranked = calloff.candidates(case, agreement)
        try:
            offer = services.case_call_off(actor=coordinator, case=case, version=case.version)
        except ValidationError:
            assert calloff.proposal(ranked) is None  # refused only when nobody is eligible
            continue
        record = CallOff.objects.get(offer=offer)
        chosen = offer.consultant
        # never an ineligible consultant
        assert language in chosen.languages
        assert case.theme in chosen.themes.all()
        # every consultant of the agreement is in the record, with a rank
        assert sorted(c["consultant"] for c in record.candidates) == sorted(
            Consultant.objects.filter(supplier__agreement=agreement).values_list("pk", flat=True)
        )
        assert [c["rank"] for c in record.candidates] == list(range(1, len(record.candidates) + 1))
        # the offer is accepted: the days now count against capacity
        services.offer_answer(actor=chosen.user, offer=offer, accept=True)

    load = calloff.committed_days(list(Consultant.objects.values_list("pk", flat=True)))
    for consultant in Consultant.objects.all():
        assert load[consultant.pk] <= consultant.capacity_total


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(shares=st.lists(st.integers(1, 4), min_size=2, max_size=3))
def test_rotation_shares_converge_to_the_plan(shares, applicant, coordinator, open_call, agreement):
    """Over a stream of one-day cases, each supplier's days stay within one case of its planned share."""
    from procurement.models import Consultant

    CallOff.objects.all().delete()
    Offer.objects.all().delete()
    Case.objects.all().delete()
    for consultant in Consultant.objects.all():
        user = consultant.user
        consultant.delete()
        user.delete()
    Supplier.objects.all().delete()
    agreement.method = "rotation"
    agreement.save()
    business_ids = ["1234567-1", "7654321-2", "0201256-6"]
    suppliers = [
        supplier_create(
            actor=None,
            name=f"Toimittaja {n}",
            business_id=business_ids[n],
            ranking_position=n + 1,
            day_price="100",
            agreement=agreement,
            planned_share=share,
        )
        for n, share in enumerate(shares)
    ]
    for n, supplier in enumerate(suppliers):
        make_consultant(f"k{n}.rotation", supplier, capacity_total=100)

    total = 12
    for _ in range(total):
        case = approved_case(applicant, coordinator, open_call, days=1)
        services.case_call_off(actor=coordinator, case=case, version=case.version)

    days = {s.pk: 0 for s in suppliers}
    for offer in Offer.objects.select_related("consultant"):
        days[offer.consultant.supplier_id] += 1
    weight = sum(shares)
    for supplier in suppliers:
        planned = total * supplier.planned_share / weight
        assert abs(days[supplier.pk] - planned) <= 1, (shares, days)


# ------------------------------------------------------------------------------
# Reasons are stored as codes and shown in the reader's language (issue 16 item 5)
# ------------------------------------------------------------------------------


def test_the_record_stores_reason_codes_and_each_reader_gets_their_language(
    applicant, coordinator, open_call, agreement, supplier, client_for
):
    make_consultant("aino.a", supplier)
    make_consultant("bertta.b", supplier, languages=["en"], capacity_total=1)
    case = approved_case(applicant, coordinator, open_call)
    with translation.override("fi"):
        services.case_call_off(actor=coordinator, case=case, version=case.version)
    record = CallOff.objects.get()
    bertta = next(c for c in record.candidates if c["name"].startswith("Bertta"))
    assert bertta["reasons"] == [
        {"code": "language"},
        {"code": "capacity", "load": 0, "capacity": 1},
    ]
    client = client_for(coordinator)
    client.cookies["sparring_language"] = "sv"
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "arbetar inte på sparrningens språk" in page
    assert "ingen kapacitet: 0 av 1 dagar bundna" in page
    assert "ei työskentele" not in page
    client.cookies["sparring_language"] = "fi"
    csv = client.get(f"/cases/{case.pk}/call-offs/{record.pk}.csv").content.decode("utf-8-sig")
    assert "ei työskentele sparrauksen kielellä; ei kapasiteettia: 0/1 päivää sidottu" in csv


def test_an_unknown_or_old_text_reason_is_shown_as_stored():
    assert calloff.reasons_text(["vanha syy", {"code": "mystery"}]) == "vanha syy; mystery"
    assert calloff.reasons_text([]) == ""


def test_the_migration_turns_stored_finnish_and_swedish_texts_into_codes():
    import importlib

    migration = importlib.import_module("procurement.migrations.0010_calloff_reason_codes")
    assert migration.to_code("ei kata teemaa") == {"code": "theme"}
    assert migration.to_code("jäv i förhållande till organisationen") == {"code": "conflict"}
    assert migration.to_code("ei kapasiteettia: 3/4 päivää sidottu") == {
        "code": "capacity",
        "load": 3,
        "capacity": 4,
    }
    assert migration.to_code("something else") == "something else"
    assert migration.to_code({"code": "theme"}) == {"code": "theme"}
    # the frozen texts are the labels' translations at the time of the migration
    for code, texts in migration.TEXTS.items():
        for language, text in zip(("en", "fi", "sv"), texts, strict=True):
            with translation.override(language):
                assert str(calloff.REASONS[code]) == text


def test_the_migration_rewrites_existing_records(
    applicant, coordinator, open_call, agreement, supplier
):
    import importlib

    from django.apps import apps

    make_consultant("aino.a", supplier)
    make_consultant("bertta.b", supplier, languages=["en"])
    case = approved_case(applicant, coordinator, open_call)
    services.case_call_off(actor=coordinator, case=case, version=case.version)
    record = CallOff.objects.get()
    for candidate in record.candidates:
        if candidate["reasons"]:
            candidate["reasons"] = ["ei työskentele sparrauksen kielellä"]
    CallOff.objects.filter(pk=record.pk).update(candidates=record.candidates)

    migration = importlib.import_module("procurement.migrations.0010_calloff_reason_codes")
    migration.forwards(apps, None)
    record.refresh_from_db()
    assert [c["reasons"] for c in record.candidates if c["reasons"]] == [[{"code": "language"}]]


def test_the_pool_reads_in_the_same_statements_whatever_the_number_of_consultants(
    applicant, coordinator, open_call, agreement, supplier
):
    """Issue 17: what a call-off reads before the agreement's lock (``calloff.pool``) is a
    fixed number of statements: the exclusions (unavailable, conflict, declined) in one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = approved_case(applicant, coordinator, open_call)

    def statements() -> int:
        fresh = Case.objects.select_related("call", "organisation").get(pk=case.pk)
        with CaptureQueriesContext(connection) as queries:
            calloff.pool(fresh, agreement)
        return len(queries)

    make_consultant("aino.a", supplier)
    few = statements()
    for name in ("bertta.b", "celia.c", "doris.d"):
        user = make_consultant(name, supplier)
        ConflictOfInterest.objects.create(
            consultant=user.consultant, organisation=case.organisation, reason="-"
        )
        Unavailability.objects.create(
            consultant=user.consultant,
            starts=timezone.localdate() - timedelta(days=1),
            ends=open_call.delivery_ends,
        )
    assert statements() == few <= 4
