"""Competition and tender events: coordinators only, and each bidder its own offer,
before and after the award, and after a cancellation (issue 15, item 9).

The rule is ``sparring/audit.py`` (``Visibility.COORDINATORS`` and ``BIDDER``),
applied by ``audit.timeline`` on the case page; these tests hold every reader to it.
"""

import re

from django.utils import timezone

from procurement import minicompetition
from procurement.models import MiniCompetition, Tender
from sparring.audit import AuditAction, Visibility
from sparring.cases import selectors
from tests.unit.test_audit_vocabulary import competition_case  # noqa: F401 (a fixture)

COMPETITION_EVENTS = {
    "competition_opened",
    "tender_submitted",
    "tender_changed",
    "competition_cancelled",
}


def _actions(html: str) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', html)


def _award(case, coordinator):
    competition = MiniCompetition.objects.get(case=case)
    MiniCompetition.objects.filter(pk=competition.pk).update(
        deadline=timezone.now() - timezone.timedelta(minutes=1)
    )
    competition.refresh_from_db()
    case.refresh_from_db()
    scores = {
        pk: 5 for pk in Tender.objects.filter(competition=competition).values_list("pk", flat=True)
    }
    return minicompetition.competition_award(
        actor=coordinator, competition=competition, scores=scores, version=case.version
    )


def test_the_competition_actions_are_declared_coordinators_only_or_bidder():
    assert AuditAction("competition_opened").visibility == Visibility.COORDINATORS
    assert AuditAction("competition_cancelled").visibility == Visibility.COORDINATORS
    assert AuditAction("tender_submitted").visibility == Visibility.BIDDER
    assert AuditAction("tender_changed").visibility == Visibility.BIDDER


def test_after_the_award_the_applicant_still_sees_no_competition_event(
    competition_case,  # noqa: F811
    applicant,
    coordinator,
    client_for,
):
    case, _aino, bertta = competition_case
    offer = _award(case, coordinator)
    assert offer.consultant == bertta.consultant  # the lower price wins at equal quality

    page = client_for(applicant).get(f"/cases/{case.pk}/").content.decode()
    assert not set(_actions(page)) & COMPETITION_EVENTS
    assert "Kehittäjäkumppanit" not in page  # the losing bidder is never named
    assert "KRITEERIT" not in page
    shown = selectors.labelled_timeline(case, full=False, viewer=applicant)
    assert not {e.action for e in shown} & COMPETITION_EVENTS


def test_after_the_award_each_bidder_sees_only_its_own_offers(
    competition_case,  # noqa: F811
    coordinator,
    client_for,
):
    case, aino, bertta = competition_case
    _award(case, coordinator)

    # the winner opens the case (its offer is open) and sees its own two offers only
    winner_page = client_for(bertta).get(f"/cases/{case.pk}/")
    assert winner_page.status_code == 200
    actions = _actions(winner_page.content.decode())
    assert [a for a in actions if a in COMPETITION_EVENTS] == ["tender_submitted", "tender_changed"]
    # the losing bidder cannot open the case at all
    assert client_for(aino).get(f"/cases/{case.pk}/").status_code == 404
    # and were it shown the timeline, it would see its own offer only
    own = selectors.labelled_timeline(case, full=False, viewer=aino)
    tender_events = [e for e in own if e.action in COMPETITION_EVENTS]
    assert [(e.action, e.actor) for e in tender_events] == [("tender_submitted", aino)]


def test_after_the_award_coordinators_see_every_competition_event(
    competition_case,  # noqa: F811
    coordinator,
    client_for,
):
    case, _aino, _bertta = competition_case
    _award(case, coordinator)
    page = client_for(coordinator).get(f"/cases/{case.pk}/").content.decode()
    assert [a for a in _actions(page) if a in COMPETITION_EVENTS] == [
        "competition_opened",
        "tender_submitted",
        "tender_submitted",
        "tender_changed",
    ]


def test_a_cancelled_competition_stays_coordinators_only(
    competition_case,  # noqa: F811
    applicant,
    coordinator,
    client_for,
):
    case, aino, _bertta = competition_case
    competition = MiniCompetition.objects.get(case=case)
    minicompetition.competition_cancel(actor=coordinator, competition=competition, reason="SYY")
    page = client_for(applicant).get(f"/cases/{case.pk}/").content.decode()
    assert not set(_actions(page)) & COMPETITION_EVENTS
    assert "SYY" not in page
    coordinator_page = client_for(coordinator).get(f"/cases/{case.pk}/").content.decode()
    assert "competition_cancelled" in _actions(coordinator_page)
    mine = selectors.labelled_timeline(case, full=False, viewer=aino)
    assert [e.action for e in mine if e.action in COMPETITION_EVENTS] == ["tender_submitted"]


def test_the_applicant_is_not_told_of_offers_before_the_award_either(
    competition_case,  # noqa: F811
    applicant,
    client_for,
):
    """Before the deadline: no event, no bidder's name, no count of offers to the applicant."""
    case, _aino, _bertta = competition_case
    page = client_for(applicant).get(f"/cases/{case.pk}/").content.decode()
    assert not set(_actions(page)) & COMPETITION_EVENTS
    assert "Kehittäjäkumppanit" not in page and "Työyhteisövalmennus" not in page
    assert 'class="competition"' not in page  # the count of offers is the coordinator's
