"""Two fold-ins of the same case at once on PostgreSQL (issue 17).

The fold-in moves the rollup and the consultants' loads by difference (old row out,
new row in), so two fold-ins of one case must never both take the difference from
the same old row (or both from "no row yet": a new case). They serialise on the
queue's rows, locked in id order, then on the case's row.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction

from procurement.models import ConsultantLoad, Offer
from sparring import clock
from sparring.models import Case
from sparring.statistics import aggregates, compare
from sparring.statistics.models import CaseFigures, FigureChange
from tests.conftest import make_consultant
from tests.unit.procurement.test_calloff import approved_case


@pytest.fixture(autouse=True)
def _postgresql_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions: PostgreSQL only")


def _loads_equal_the_sums():
    ids = list(ConsultantLoad.objects.values_list("consultant_id", flat=True))
    reference = aggregates.load_rows(ids)
    stored = ConsultantLoad.objects.in_bulk(ids)
    for pk in ids:
        for name in ConsultantLoad.COUNTERS:
            assert getattr(stored[pk], name) == getattr(reference[pk], name), (pk, name)


def _in_thread(target):
    errors = []

    def run():
        try:
            target()
        except Exception as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_two_fold_ins_of_the_same_new_case_count_it_once(
    applicant, coordinator, open_call, agreement, supplier
):
    """A new case (no figures row yet) with an open offer; one fold-in holds its rows
    uncommitted while a second starts and another change of the case is committed:
    the second waits, then takes its difference from the first one's row. The offer's
    days and euros count once in the consultant's load."""
    user = make_consultant("aino.a", supplier, capacity_total=10)
    template = approved_case(applicant, coordinator, open_call, days=2)
    aggregates.refresh()
    # a new case: inserted and offered in one transaction, not folded in yet
    with transaction.atomic():
        case = Case.objects.get(pk=template.pk)
        case.pk, case.reference, case.process_id = None, None, None
        case.status = Case.Status.OFFERED
        case.agreed_day_price = supplier.day_price
        case.save(force_insert=True)
        offer = Offer.objects.create(
            case=case, consultant=user.consultant, deadline=clock.now() + timedelta(days=5)
        )
    assert not CaseFigures.objects.filter(case=case).exists()
    assert FigureChange.objects.filter(case_id=case.pk).exists()

    first_folded, release = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            aggregates._refresh_some()
            first_folded.set()
            assert release.wait(timeout=20)

    def second():
        aggregates.refresh()

    one, first_errors = _in_thread(first)
    assert first_folded.wait(timeout=20)
    # committed while the first fold-in holds its rows: queued for the second one
    Offer.objects.filter(pk=offer.pk).update(reason="-")
    two, second_errors = _in_thread(second)
    two.join(timeout=1)
    assert two.is_alive(), "the second fold-in must wait for the first one's rows"
    release.set()
    one.join(timeout=30)
    two.join(timeout=30)
    assert not first_errors and not second_errors, (first_errors, second_errors)

    assert not FigureChange.objects.exists()
    load = ConsultantLoad.objects.get(consultant=user.consultant)
    assert load.offered_days == 2 + 0  # this case's days, once
    assert load.offered_eur == 2 * supplier.day_price
    _loads_equal_the_sums()
    assert aggregates.check() == []
    assert compare.differences() == []


def test_fold_ins_at_the_same_moment_leave_the_loads_equal_to_the_records(
    applicant, coordinator, open_call, agreement, supplier
):
    """Four fold-ins released together while new cases with offers keep arriving: every
    load equals the sum over the cases, every figure the records."""
    user = make_consultant("aino.a", supplier, capacity_total=40)
    template = approved_case(applicant, coordinator, open_call, days=2)
    aggregates.refresh()

    def new_offered_case():
        with transaction.atomic():
            case = Case.objects.get(pk=template.pk)
            case.pk, case.reference, case.process_id = None, None, None
            case.status = Case.Status.OFFERED
            case.agreed_day_price = supplier.day_price
            case.save(force_insert=True)
            Offer.objects.create(
                case=case, consultant=user.consultant, deadline=clock.now() + timedelta(days=5)
            )

    for _n in range(3):
        new_offered_case()
    barrier = threading.Barrier(5)

    def fold_in():
        barrier.wait(timeout=20)
        for _n in range(3):
            aggregates.refresh()

    def change():
        barrier.wait(timeout=20)
        for _n in range(3):
            new_offered_case()

    started = [_in_thread(fold_in) for _n in range(4)] + [_in_thread(change)]
    for thread, _errors in started:
        thread.join(timeout=60)
    assert not any(errors for _thread, errors in started)
    aggregates.refresh()
    load = ConsultantLoad.objects.get(consultant=user.consultant)
    assert load.offered_days == 6 * 2
    _loads_equal_the_sums()
    assert aggregates.check() == []
