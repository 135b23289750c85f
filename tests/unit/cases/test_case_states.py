"""The case's states: every status classified, the named sets consistent, the moves closed."""

import pytest

from sparring.cases import states
from sparring.cases.states import RULES, TRANSITIONS, CaseStatus, TransitionNotAllowed
from sparring.models import Case

S = CaseStatus


def test_every_status_declares_every_property():
    assert set(RULES) == set(CaseStatus)
    assert set(TRANSITIONS) == set(CaseStatus)


def test_each_status_is_a_draft_open_or_final():
    for status in CaseStatus:
        rules = RULES[status]
        assert not (rules.open and rules.final), status
        if not (rules.open or rules.final):
            assert status == S.DRAFT, f"{status} is neither open nor final"


def test_the_named_sets_are_consistent():
    assert set(states.WAITING_FOR_COORDINATOR) <= set(states.OPEN)
    assert set(states.REPORT_CORRECTABLE) <= set(states.OPEN)
    assert set(states.STOPPED) <= set(states.FINAL)
    assert set(states.NOT_PROCEEDING) <= set(states.FINAL)
    assert set(states.COMMITTED) <= set(states.OPEN) | set(states.FINAL)
    assert not set(states.COMMITTED) & set(states.NOT_PROCEEDING)
    assert set(states.NOT_FINAL) == set(CaseStatus) - set(states.FINAL)
    # the old spellings of these sets, now one place: the model's alias and procurement's name
    assert Case.Status is CaseStatus
    from procurement import calloff, reports

    assert calloff.OPEN_CASE_STATUSES == states.COMMITTED == reports.COMMITTED_STATUSES


def test_final_statuses_have_no_way_out_and_every_other_has_one():
    for status in CaseStatus:
        if status in states.FINAL:
            assert TRANSITIONS[status] == frozenset(), status
        else:
            assert TRANSITIONS[status], status


def test_every_status_is_reachable_from_a_draft_and_every_case_can_end():
    reachable, frontier = {S.DRAFT}, [S.DRAFT]
    while frontier:
        for target in TRANSITIONS[frontier.pop()]:
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(CaseStatus)
    for status in CaseStatus:
        seen, frontier = {status}, [status]
        while frontier:
            for target in TRANSITIONS[frontier.pop()]:
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
        assert seen & set(states.FINAL), f"no end reachable from {status}"


@pytest.mark.parametrize(
    ("source", "target"),
    [(S.SUBMITTED, S.APPROVED), (S.OFFERED, S.APPROVED), (S.DELIVERY, S.CANCELLED)],
)
def test_allowed_moves_pass(source, target):
    states.check_transition(source, target)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (S.CLOSED, S.SUBMITTED),
        (S.DRAFT, S.APPROVED),
        (S.REJECTED, S.REJECTED),
        (S.DRAFT, S.WITHDRAWN),
        (S.FEEDBACK, S.CLOSED),
    ],
)
def test_other_moves_are_refused(source, target):
    with pytest.raises(TransitionNotAllowed):
        states.check_transition(source, target)


@pytest.mark.django_db
def test_a_service_cannot_make_a_move_the_table_does_not_have(submitted_case):
    from sparring.cases.transitions import case_move

    with pytest.raises(TransitionNotAllowed):
        case_move(submitted_case, source=[S.SUBMITTED], version=None, target=S.CLOSED)
    submitted_case.refresh_from_db()
    assert submitted_case.status == S.SUBMITTED
