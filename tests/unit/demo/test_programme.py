"""seed_programme rebuilds the 2021–2022 programme through the flow, and its figures are the real ones.

The expected values are the tables of shared/reference/programme-facts.md (the
programme's public summary), written out here because CI runs on a clone of the
project alone.
"""

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command

from procurement.models import CallOff, Offer
from sparring.demo.programme import PlannedCase, Replay
from sparring.models import AuditEvent, Case, Organisation, SessionDay
from sparring.outcomes.models import DevelopmentAct
from sparring.reports.models import ReportDocument

FACTS = {
    "accepted_applications": 72,
    "organisations": 49,
    "days_delivered": 127,
    "participants": 1690,
    "average_grade": 4.7,
    "suppliers": 8,
    "consultants": 11,
    "by_sector": {
        "Sosiaali- ja terveysala": 14,
        "Opetus ja kasvatus": 12,
        "Talous ja hallinto": 8,
        "Vapaa-aika, kulttuuri ja nuoriso": 8,
        "Elinvoima ja työllisyys": 6,
        "Esihenkilötyö": 5,
        "Puhtaus ja ravitsemus": 2,
        "Työsuojeluorganisaatio": 2,
        "Liikenne": 1,
        "Jätehuolto": 1,
        "Koko organisaatio": 13,
    },
    "by_theme": {
        "Työyhteisön ja toimintakulttuurin kehittäminen": 26,
        "Työn kuormitus ja työhyvinvointi": 17,
        "Yhdessä kehittäminen ja osallisuus": 16,
        "Prosessit, palvelut ja asiakaslähtöisyys": 11,
        "Etätyön ja -palvelujen kehittäminen": 1,
        "Digitalisaatio ja uudet toimintatavat": 1,
    },
}


def stats(capsys) -> dict:
    capsys.readouterr()
    call_command("programme_stats", "--json")
    return json.loads(capsys.readouterr().out)


def records() -> dict:
    return {
        "cases": Case.objects.count(),
        "events": AuditEvent.objects.count(),
        "days": SessionDay.objects.count(),
        "pdfs": ReportDocument.objects.count(),
        "offers": Offer.objects.count(),
        "acts": DevelopmentAct.objects.count(),
    }


@pytest.mark.django_db(transaction=True)
def test_seeded_programme_has_the_real_figures_and_one_more_case_moves_them(
    settings, capsys, reference_data
):
    settings.DEBUG = True
    call_command("seed_programme")
    figures = stats(capsys)

    assert {key: figures[key] for key in FACTS} == FACTS
    # Built through the flow, not inserted: every case has its audit trail, the
    # accepted ones a call-off record and a report PDF; the others stopped early.
    assert Case.objects.filter(status=Case.Status.CLOSED).count() == 72
    assert Case.objects.filter(status=Case.Status.REJECTED).count() == 3
    assert Case.objects.filter(status=Case.Status.WITHDRAWN).count() == 2
    assert CallOff.objects.filter(case__status=Case.Status.CLOSED).count() >= 72
    assert Offer.objects.filter(status=Offer.Status.DECLINED).exists()
    assert ReportDocument.objects.filter(case__status=Case.Status.CLOSED).count() == 72
    assert not Case.objects.filter(status=Case.Status.CLOSED, events__isnull=True).exists()
    assert AuditEvent.objects.filter(action="case_returned").count() >= 1
    for business_id in Organisation.objects.values_list("business_id", flat=True):
        from stdnum.fi import ytunnus

        assert ytunnus.is_valid(business_id), business_id
    first = Case.objects.order_by("submitted_at").first()
    assert first.submitted_at.date() >= date(2021, 8, 23)
    assert Case.objects.order_by("-closed_at").first().closed_at.date() <= date(2022, 12, 31)
    # About every third delivered case published a development act (sparring/demo/acts.py),
    # approved by the coordinator, in the language it is written in.
    assert DevelopmentAct.objects.filter(status="published").count() == 24
    assert not DevelopmentAct.objects.exclude(status="published").exists()
    assert set(DevelopmentAct.objects.values_list("language", flat=True)) <= {"fi", "sv"}

    # Safe to run twice: nothing is added or changed.
    before = records()
    call_command("seed_programme")
    assert records() == before
    assert stats(capsys) == figures

    # One more case through the flow: a two-day sparring in Tampere (already counted),
    # in transport, on digitalisation, 9 + 6 participants, three answers.
    extra = PlannedCase(
        n=901,
        organisation="0211675-2",
        sector="transport",
        theme="digitalisation",
        requested_days=2,
        approved_days=2,
        outcome="delivered",
        participants=[9, 6],
        grades=[5, 5, 4],
        submitted=date(2022, 9, 1),
    )
    Replay().run([extra])
    after = stats(capsys)

    expected = json.loads(json.dumps(figures))
    expected["accepted_applications"] += 1
    expected["days_delivered"] += 2
    expected["participants"] += 15
    expected["answers"] += 3
    expected["by_sector"]["Liikenne"] += 1
    expected["by_theme"]["Digitalisaatio ja uudet toimintatavat"] += 1
    # the mean of all answers stays 4.7 with three more (5, 5, 4); the response rate moves
    rate = Decimal(100 * expected["answers"]) / Decimal(expected["participants"])
    expected["response_rate"] = float(rate.quantize(Decimal("0.1"), ROUND_HALF_UP))
    assert after["by_sector"] == expected["by_sector"]
    assert after["by_theme"] == expected["by_theme"]
    assert after == expected

    # Issue 13: eleven years on, the retention job removes the personal data of every
    # case (all ended in 2022) and every figure stays as it was.
    from datetime import timedelta

    from sparring import clock
    from sparring.models import OutboundEmail
    from sparring.retention import CASE_PERSONAL_FIELDS, apply_retention
    from sparring.surveys.models import SurveyAnswer, SurveyLink

    with clock.travel(clock.now() + timedelta(days=11 * 366)):
        result = apply_retention()
        assert apply_retention().total() == 0  # a second run changes nothing
    assert result.cases_anonymised == Case.objects.count()
    for field in CASE_PERSONAL_FIELDS:
        assert not Case.objects.exclude(**{field: ""}).exists(), field
    assert not SurveyAnswer.objects.exclude(best="", improve="").exists()
    assert not SurveyLink.objects.exists() and not OutboundEmail.objects.exists()
    assert stats(capsys) == after


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("working_days", [1, 10])
def test_the_replay_follows_the_offer_deadline_wherever_it_is_set(
    settings, reference_data, working_days
):
    """Changing the offer deadline (one setting, one function) keeps the replay working:
    the planned answers come before the deadline, and no offer expires on the way."""
    settings.SPARRING_OFFER_EXPIRY_WORKING_DAYS = working_days
    planned = [
        PlannedCase(
            n=900 + k,
            organisation="0211675-2",
            sector="transport",
            theme="digitalisation",
            requested_days=1,
            approved_days=1,
            outcome="delivered",
            participants=[7],
            grades=[5],
            submitted=date(2022, 6, 20),  # Midsummer in the answer period
            decline_first=k == 1,
        )
        for k in range(2)
    ]
    Replay().run(planned)
    assert Case.objects.filter(status=Case.Status.CLOSED).count() == 2
    assert not Offer.objects.filter(status=Offer.Status.EXPIRED).exists()
    assert Offer.objects.filter(status=Offer.Status.DECLINED).count() == 1
