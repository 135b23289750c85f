"""Mini-competition: invitations, sealed offers, scoring by the stated weights, award."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from procurement import minicompetition
from procurement.models import CallOff, MiniCompetition, Tender
from procurement.services import supplier_create
from sparring.models import Case
from tests.conftest import make_consultant
from tests.unit.procurement.test_calloff import approved_case

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def competition_setup(applicant, coordinator, open_call, agreement, supplier):
    agreement.method = "mini_competition"
    agreement.save()
    other = supplier_create(
        actor=None,
        name="Työyhteisövalmennus Ky",
        business_id="7654321-2",
        ranking_position=2,
        day_price="1090",
        agreement=agreement,
    )
    third = supplier_create(
        actor=None,
        name="Kolmas Oy",
        business_id="0201256-6",
        ranking_position=3,
        day_price="900",
        agreement=agreement,
    )
    aino = make_consultant("aino.a", supplier)
    bertta = make_consultant("bertta.b", other)
    make_consultant("celia.c", third, languages=["en"])  # not eligible: no invitation
    case = approved_case(applicant, coordinator, open_call)
    return case, aino, bertta


def open_it(case, coordinator, minutes=60, price_weight=40):
    return minicompetition.competition_open(
        actor=coordinator,
        case=case,
        deadline=timezone.now() + timedelta(minutes=minutes),
        price_weight=price_weight,
        criteria="Lähestymistavan sopivuus tavoitteeseen; kokemus kuntatyöstä.",
    )


def pass_deadline(competition):
    MiniCompetition.objects.filter(pk=competition.pk).update(
        deadline=timezone.now() - timedelta(seconds=1)
    )
    competition.refresh_from_db()


def test_only_suppliers_with_an_eligible_consultant_are_invited(competition_setup, coordinator):
    case, aino, _bertta = competition_setup
    competition = open_it(case, coordinator)
    assert sorted(s.name for s in competition.invited.all()) == [
        "Kehittäjäkumppanit Oy",
        "Työyhteisövalmennus Ky",
    ]
    assert minicompetition.can_tender(aino, competition)
    assert case.events.filter(action="competition_opened").exists()


def test_the_plain_call_off_is_refused_under_a_mini_competition_agreement(
    competition_setup, coordinator
):
    from sparring.cases import services

    case, _aino, _bertta = competition_setup
    with pytest.raises(ValidationError):
        services.case_call_off(actor=coordinator, case=case, version=case.version)


def test_offers_stay_sealed_until_the_deadline(competition_setup, coordinator, client_for):
    case, aino, bertta = competition_setup
    competition = open_it(case, coordinator)
    minicompetition.tender_submit(
        actor=aino,
        competition=competition,
        day_price=Decimal("1000"),
        proposed_dates="viikko 12",
        approach="SALAINEN LÄHESTYMINEN",
    )
    page = client_for(coordinator).get(f"/cases/{case.pk}/").content.decode()
    assert "SALAINEN LÄHESTYMINEN" not in page
    assert "1 000,00" not in page
    with pytest.raises(ValidationError):
        minicompetition.competition_award(
            actor=coordinator, competition=competition, scores={}, version=case.version
        )
    # the other supplier cannot read the first one's offer on its own tender page
    tender_page = client_for(bertta).get(f"/competitions/{competition.pk}/tender/").content.decode()
    assert "SALAINEN LÄHESTYMINEN" not in tender_page


def test_an_uninvited_or_late_offer_is_refused(
    competition_setup, coordinator, applicant, client_for
):
    case, aino, _bertta = competition_setup
    competition = open_it(case, coordinator)
    from sparring.models import User

    celia = User.objects.get(username="celia.c")  # her supplier has no eligible consultant
    assert client_for(celia).get(f"/competitions/{competition.pk}/tender/").status_code == 403
    assert client_for(applicant).get(f"/competitions/{competition.pk}/tender/").status_code == 403
    with pytest.raises(PermissionDenied):
        minicompetition.tender_submit(
            actor=celia,
            competition=competition,
            day_price=Decimal("1"),
            proposed_dates="x",
            approach="x",
        )
    pass_deadline(competition)
    with pytest.raises(ValidationError):
        minicompetition.tender_submit(
            actor=aino,
            competition=competition,
            day_price=Decimal("900"),
            proposed_dates="x",
            approach="x",
        )
    assert not Tender.objects.exists()


def test_award_follows_the_stated_weights_and_fixes_the_tender_price(
    competition_setup, coordinator
):
    case, aino, bertta = competition_setup
    competition = open_it(case, coordinator, price_weight=40)
    cheap = minicompetition.tender_submit(
        actor=aino,
        competition=competition,
        day_price=Decimal("800"),
        proposed_dates="vk 12",
        approach="Halpa",
    )
    good = minicompetition.tender_submit(
        actor=bertta,
        competition=competition,
        day_price=Decimal("1000"),
        proposed_dates="vk 14",
        approach="Hyvä",
    )
    pass_deadline(competition)
    case.refresh_from_db()

    # cheap: 40 × 800/800 + 60 × 5/10 = 70; good: 40 × 800/1000 + 60 × 9/10 = 86
    offer = minicompetition.competition_award(
        actor=coordinator,
        competition=competition,
        scores={cheap.pk: 5, good.pk: 9},
        version=case.version,
    )

    assert offer.consultant == bertta.consultant
    case.refresh_from_db()
    assert case.status == Case.Status.OFFERED
    assert case.agreed_day_price == Decimal("1000.00")
    record = CallOff.objects.get()
    assert record.method == "mini_competition" and not record.overridden
    assert [(t["supplier"], t["total"]) for t in record.tenders] == [
        ("Työyhteisövalmennus Ky", 86.0),
        ("Kehittäjäkumppanit Oy", 70.0),
    ]
    competition.refresh_from_db()
    assert competition.status == MiniCompetition.Status.AWARDED


def test_choosing_another_offer_needs_a_justification(competition_setup, coordinator):
    case, aino, bertta = competition_setup
    competition = open_it(case, coordinator)
    cheap = minicompetition.tender_submit(
        actor=aino,
        competition=competition,
        day_price=Decimal("800"),
        proposed_dates="vk 12",
        approach="Halpa",
    )
    good = minicompetition.tender_submit(
        actor=bertta,
        competition=competition,
        day_price=Decimal("1000"),
        proposed_dates="vk 14",
        approach="Hyvä",
    )
    pass_deadline(competition)
    case.refresh_from_db()
    scores = {cheap.pk: 5, good.pk: 9}
    with pytest.raises(ValidationError):
        minicompetition.competition_award(
            actor=coordinator,
            competition=competition,
            scores=scores,
            version=case.version,
            consultant=aino.consultant,
        )
    minicompetition.competition_award(
        actor=coordinator,
        competition=competition,
        scores=scores,
        version=case.version,
        consultant=aino.consultant,
        justification="Ruotsinkielinen ryhmä, Aino puhuu ruotsia.",
    )
    record = CallOff.objects.get()
    assert record.overridden and record.chosen == aino.consultant
    case.refresh_from_db()
    assert case.agreed_day_price == Decimal("800.00")
