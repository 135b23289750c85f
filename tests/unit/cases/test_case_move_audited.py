"""A step's compare-and-set and its audit row written together (issue 17).

``case_move(audit=...)`` writes the step's audit row with the move: on PostgreSQL in
the UPDATE's statement (a data-modifying WITH), on SQLite right after it. A refused
move writes no row and raises ``StaleCase`` as before. The row is the one
``audit_record`` writes (``audit_event`` makes both): compared here for the arguments
of several steps, and for a whole case driven through the services.
"""

from datetime import UTC, datetime

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from sparring import clock
from sparring.audit import audit_event, audit_record
from sparring.cases import states
from sparring.cases.transitions import StaleCase, case_move
from sparring.models import AuditEvent, Case

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 3, 4, 9, 30, 15, 123456, tzinfo=UTC)
ROW = ("actor_id", "action", "subject", "case_id", "comment", "data", "created")

#: (the move's status and changes, the audit row's arguments) of several steps
STEPS = {
    "approve": (
        dict(target=Case.Status.APPROVED, approved_days=2, decided_at=MOMENT),
        dict(action="case_approved", comment="", data={"approved_days": 2}),
    ),
    "return": (
        dict(target=Case.Status.RETURNED),
        dict(action="case_returned", comment='Täydennä tavoite.\nKiitos – ’lainaus’ "x"'),
    ),
    "reject": (
        dict(target=Case.Status.REJECTED, decided_at=MOMENT, closed_at=MOMENT),
        dict(action="case_rejected", comment="Ei rahoitusta; 100 %"),
    ),
    "take": (
        dict(),
        dict(action="case_taken", comment="", data={"from": None}),
    ),
    "timer": (
        dict(target=Case.Status.APPROVED),
        dict(action="offer_expired", actor=None, data={"offer": 7, "nested": {"a": [1, None]}}),
    ),
}


def _moved(case, version, move, audit_args, *, together: bool, actor):
    args = {"actor": actor, **audit_args}
    if together:
        case_move(
            case,
            source=[Case.Status.SUBMITTED],
            version=version,
            audit=audit_event(subject=case, case=case, **args),
            **move,
        )
    else:  # as the steps did before: the move, then audit_record
        case_move(case, source=[Case.Status.SUBMITTED], version=version, **move)
        audit_record(subject=case, case=case, **args)
    return case


def _row(case, action) -> dict:
    row = AuditEvent.objects.filter(case=case, action=action).values(*ROW).get()
    row["subject"] = row["subject"].replace(str(case.pk), "<pk>")
    row["case_id"] = row["case_id"] == case.pk
    return row


def _case_row(case) -> dict:
    return (
        Case.objects.filter(pk=case.pk)
        .values("status", "version", "approved_days", "decided_at", "closed_at", "handler_id")
        .get()
    )


@pytest.mark.parametrize("step", list(STEPS))
def test_the_row_written_with_the_move_is_the_one_audit_record_writes(
    step, applicant, open_call, coordinator
):
    from tests.unit.cases.test_case_views import submit_new

    move, audit_args = STEPS[step]
    if step == "take":
        move = {"handler": coordinator}
    before = submit_new(applicant, open_call, unit="Vanha tapa")
    after = submit_new(applicant, open_call, unit="Uusi tapa")
    with clock.travel(MOMENT, tick=False):
        _moved(before, before.version, dict(move), audit_args, together=False, actor=coordinator)
        _moved(after, after.version, dict(move), audit_args, together=True, actor=coordinator)
    action = audit_args["action"]
    assert _row(after, action) == _row(before, action)
    assert _row(after, action)["created"] == MOMENT
    # the instance and the case's row as case_move sets them, whichever way
    assert (after.status, after.version) == (before.status, before.version)
    assert _case_row(after) == _case_row(before)
    for name in set(move) - {"target"}:
        assert getattr(after, name) == getattr(before, name)


def test_the_row_is_saved_on_the_instance_given(submitted_case, coordinator):
    event = audit_event(
        actor=coordinator, action="case_returned", subject=submitted_case, case=submitted_case
    )
    case_move(
        submitted_case,
        source=[Case.Status.SUBMITTED],
        version=submitted_case.version,
        target=Case.Status.RETURNED,
        audit=event,
    )
    assert event.pk is not None and not event._state.adding
    assert AuditEvent.objects.get(pk=event.pk).action == "case_returned"


def test_an_anonymous_actor_is_recorded_as_nobody_as_audit_record_does(submitted_case):
    from django.contrib.auth.models import AnonymousUser

    case_move(
        submitted_case,
        source=states.ASSIGNABLE,
        version=None,
        audit=audit_event(actor=AnonymousUser(), action="case_released", subject=submitted_case),
    )
    assert list(
        AuditEvent.objects.filter(action="case_released").values_list("actor", flat=True)
    ) == [None]


def test_a_refused_move_writes_no_audit_row_and_raises_stale(submitted_case, coordinator):
    version = submitted_case.version
    events = AuditEvent.objects.count()
    with pytest.raises(StaleCase), transaction.atomic():
        case_move(
            submitted_case,
            source=[Case.Status.SUBMITTED],
            version=version - 1,  # a page older than the case
            target=Case.Status.APPROVED,
            audit=audit_event(
                actor=coordinator,
                action="case_approved",
                subject=submitted_case,
                case=submitted_case,
            ),
        )
    assert AuditEvent.objects.count() == events
    assert _case_row(submitted_case)["status"] == Case.Status.SUBMITTED
    assert submitted_case.version == version


def test_a_refused_system_move_writes_no_audit_row(submitted_case):
    events = AuditEvent.objects.count()
    with pytest.raises(StaleCase):
        case_move(
            submitted_case,
            source=[Case.Status.OFFERED],  # the case is not there
            version=None,
            target=Case.Status.APPROVED,
            audit=audit_event(
                actor=None, action="offer_expired", subject=submitted_case, case=submitted_case
            ),
        )
    assert AuditEvent.objects.count() == events


def test_a_system_move_of_an_older_instance_writes_its_row_once(submitted_case, coordinator):
    old = Case.objects.get(pk=submitted_case.pk)
    case_move(submitted_case, source=states.ASSIGNABLE, version=None, handler=coordinator)
    case_move(
        old,
        source=[Case.Status.SUBMITTED],
        version=None,
        target=Case.Status.APPROVED,
        audit=audit_event(actor=None, action="case_approved", subject=old, case=old),
    )
    assert old.version == submitted_case.version + 1 == _case_row(old)["version"]
    assert AuditEvent.objects.filter(case=old, action="case_approved").count() == 1


def test_the_move_and_its_row_are_one_statement_on_postgresql(submitted_case, coordinator):
    with CaptureQueriesContext(connection) as queries:
        case_move(
            submitted_case,
            source=[Case.Status.SUBMITTED],
            version=submitted_case.version,
            target=Case.Status.RETURNED,
            audit=audit_event(
                actor=coordinator,
                action="case_returned",
                subject=submitted_case,
                case=submitted_case,
            ),
        )
    expected = 1 if connection.vendor == "postgresql" else 2
    assert len(queries.captured_queries) == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not check lengths")
def test_an_over_long_value_is_refused_not_cut_as_an_insert_refuses_it(submitted_case, coordinator):
    with pytest.raises(DataError), transaction.atomic():
        case_move(
            submitted_case,
            source=[Case.Status.SUBMITTED],
            version=submitted_case.version,
            audit=audit_event(
                actor=coordinator, action="case_taken", subject="x" * 101, case=submitted_case
            ),
        )


@pytest.mark.django_db(transaction=True)
def test_a_whole_case_leaves_the_same_audit_trail_as_with_two_statements(
    reference_data, monkeypatch
):
    """The case driven draft -> closed as ``bench_flow`` drives it, once with the move and
    its row together and once written apart (the row saved after the UPDATE, as
    ``audit_record`` saves it): the same rows, step by step."""
    from sparring.cases import transitions
    from sparring.demo.bench.flow import RealFlow

    driver = RealFlow()

    def trail(case_pk):
        rows = AuditEvent.objects.filter(case_id=case_pk).order_by("created", "pk")
        return [
            (r.action, r.actor_id, r.subject.replace(str(case_pk), "<pk>"), r.comment, r.data)
            for r in rows
        ]

    driver.run_case()
    together = Case.objects.order_by("-pk").values_list("pk", flat=True).first()

    def apart(rows, values, new):
        updated = rows.update(**values)
        if updated:
            new.save(force_insert=True)
        return updated

    monkeypatch.setattr(transitions, "update_then_insert", apart)
    driver.run_case()
    written_apart = Case.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert together != written_apart
    first, second = trail(together), trail(written_apart)
    # each case runs on its own days; the dates in the texts differ, nothing else
    assert [r[:3] for r in first] == [r[:3] for r in second]
    assert len(first) >= 12
    assert [_ids_out(r[4]) for r in first] == [_ids_out(r[4]) for r in second]


def _ids_out(data: dict) -> dict:
    """The data of an event with the ids of the rows it names (which differ between cases) out."""
    ids = {"offer", "call_off", "consultant", "day"}
    return {key: "<id>" if key in ids else value for key, value in data.items()}
