"""The call-off's counters under the agreement's lock: the records as they stand, without
folding the queued figure changes in (issue 17).

The maintained loads (``ConsultantLoad``) lag the records by the queued changes
(``statistics.FigureChange``). The call-off reads the loads plus the difference the
queued cases make (their records against their stored figures rows) in one statement:
no fold-in, so the case's own submit and decide (and any other queued change) cost the
call-off nothing, and a load moved by another case and not yet folded in still counts.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from procurement import calloff
from procurement.models import ConsultantLoad, Offer
from sparring import aggregates as hook
from sparring import clock
from sparring.cases import services
from sparring.models import Case, SessionDay
from sparring.statistics import aggregates
from sparring.statistics.models import FigureChange
from tests.conftest import make_consultant
from tests.unit.procurement.test_calloff import approved_case

pytestmark = pytest.mark.django_db(transaction=True)


def _figure_statements(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if "statistics_" in q["sql"] or "procurement_consultantload" in q["sql"]
    ]


def test_the_call_off_after_submit_and_decide_folds_nothing_in(
    applicant, coordinator, open_call, agreement, supplier
):
    """The queue holds the case's own create, submit and decide: they move nobody's load.
    The call-off reads its counters in one statement and leaves the queue to the beat."""
    make_consultant("aino.a", supplier)
    aggregates.refresh()
    case = approved_case(applicant, coordinator, open_call)
    queued = FigureChange.objects.count()
    assert queued >= 3

    with CaptureQueriesContext(connection) as queries:
        services.case_call_off(actor=coordinator, case=case, version=case.version)

    figures = _figure_statements(queries)
    assert len(figures) == 1, figures  # the counters' one statement
    assert figures[0].lstrip().upper().startswith(("SELECT", "(SELECT"))
    assert not any(
        sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) and "statistics_" in sql
        for sql in (q["sql"] for q in queries.captured_queries)
    )
    assert FigureChange.objects.count() > queued  # nothing folded in; the offer is queued too


def test_the_framework_agreement_is_read_once_by_the_call_off(
    applicant, coordinator, open_call, agreement, supplier
):
    make_consultant("aino.a", supplier)
    case = approved_case(applicant, coordinator, open_call)
    with CaptureQueriesContext(connection) as queries:
        services.case_call_off(actor=coordinator, case=case, version=case.version)
    table = '"procurement_frameworkagreement"'
    reads = [q["sql"] for q in queries.captured_queries if f"FROM {table}" in q["sql"]]
    assert len(reads) == 1, reads
    if connection.vendor == "postgresql":  # the lock comes with the consultants' lock
        locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
        assert any(table in sql and "procurement_consultant" in sql for sql in locks), locks


def test_a_load_moved_by_another_case_and_not_folded_in_counts_in_the_ranking(
    applicant, coordinator, open_call, agreement, supplier
):
    """The first call-off's offer loads Aino; nothing folds it in before the second
    call-off, whose ranking still puts Bertta (less loaded) first and records Aino's days."""
    aino = make_consultant("aino.a", supplier)
    make_consultant("bertta.b", supplier)
    first = approved_case(applicant, coordinator, open_call, days=2)
    services.case_call_off(
        actor=coordinator, case=first, consultant=aino.consultant, version=first.version
    )
    second = approved_case(applicant, coordinator, open_call, days=1)
    # queued, not folded in: the stored load does not have the offer yet
    assert FigureChange.objects.filter(case_id=first.pk).exists()
    assert not ConsultantLoad.objects.filter(consultant=aino.consultant, offered_days__gt=0)

    offer = services.case_call_off(actor=coordinator, case=second, version=second.version)

    assert offer.consultant.user.username == "bertta.b"
    record = {c["name"].split()[0]: c for c in offer.call_off.candidates}
    assert record["Aino"]["load"] == 2
    assert record["Bertta"]["load"] == 0
    assert record["Bertta"]["rank"] == 1


def test_a_queued_load_that_fills_the_capacity_makes_the_consultant_ineligible(
    applicant, coordinator, open_call, agreement, supplier
):
    aino = make_consultant("aino.a", supplier, capacity_total=3)
    first = approved_case(applicant, coordinator, open_call, days=2)
    services.case_call_off(actor=coordinator, case=first, version=first.version)
    second = approved_case(applicant, coordinator, open_call, days=2)
    with pytest.raises(ValidationError):
        services.case_call_off(
            actor=coordinator, case=second, consultant=aino.consultant, version=second.version
        )
    assert not Offer.objects.filter(case=second).exists()


def test_a_queued_release_of_days_counts_too(
    applicant, coordinator, open_call, agreement, supplier
):
    """A declined offer (queued, not folded in) gives the days back at once."""
    aino = make_consultant("aino.a", supplier, capacity_total=3)
    first = approved_case(applicant, coordinator, open_call, days=2)
    offer = services.case_call_off(actor=coordinator, case=first, version=first.version)
    aggregates.refresh()  # the offer folded in: Aino's stored load is 2
    services.offer_answer(actor=aino, offer=offer, accept=False, reason="Ei aikaa")
    assert ConsultantLoad.objects.get(consultant=aino.consultant).offered_days == 2
    second = approved_case(applicant, coordinator, open_call, days=2)
    offer = services.case_call_off(actor=coordinator, case=second, version=second.version)
    assert offer.consultant == aino.consultant


def test_queued_offered_euros_count_against_the_budget(
    applicant, coordinator, open_call, agreement, supplier
):
    make_consultant("aino.a", supplier)
    make_consultant("bertta.b", supplier)
    one = 2 * supplier.day_price
    agreement.budget = one + one / 2
    agreement.save(update_fields=["budget"])
    first = approved_case(applicant, coordinator, open_call, days=2)
    services.case_call_off(actor=coordinator, case=first, version=first.version)
    second = approved_case(applicant, coordinator, open_call, days=2)
    with pytest.raises(ValidationError, match=f"{one}.*{one / 2}"):  # cost, euros left
        services.case_call_off(actor=coordinator, case=second, version=second.version)


def _live(consultant_ids) -> tuple[dict[int, int], Decimal]:
    """Days (committed + offered) per consultant and euros (committed, offered, stopped)
    of them all, from the records (the fold-in's definitions over fresh rows)."""
    rows = aggregates.case_rows(Case.objects.values_list("pk", flat=True)).values()
    loads = aggregates._loads_from(rows, consultant_ids)
    days = {pk: loads[pk]["committed_days"] + loads[pk]["offered_days"] for pk in consultant_ids}
    eur = sum(
        (load["committed_eur"] + load["offered_eur"] + load["stopped_eur"])
        for load in loads.values()
    )
    return days, Decimal(eur).quantize(Decimal("0.01"))


def test_the_counters_equal_the_records_with_every_kind_of_change_queued(
    applicant, coordinator, open_call, agreement, supplier
):
    """Offers made, accepted, declined; days held; a case stopped after held days; prices
    and days changed: after each (queued, not folded in) the call-off's counters equal the
    records, and so do they after a fold-in."""
    aino = make_consultant("aino.a", supplier, capacity_total=100)
    bertta = make_consultant("bertta.b", supplier, capacity_total=100)
    ids = [aino.consultant.pk, bertta.consultant.pk]

    def counters():
        pool = calloff.pool(first, agreement)
        with transaction.atomic():
            counted = calloff.locked_counters(agreement, pool)
        return {pk: counted.load.get(pk, 0) for pk in ids}, counted.committed_eur

    def assert_live():
        assert counters() == _live(ids)

    first = approved_case(applicant, coordinator, open_call, days=2)
    offer = services.case_call_off(
        actor=coordinator, case=first, consultant=aino.consultant, version=first.version
    )
    assert_live()
    services.offer_answer(actor=aino, offer=offer, accept=True)
    assert_live()
    second = approved_case(applicant, coordinator, open_call, days=2)
    offer = services.case_call_off(
        actor=coordinator, case=second, consultant=bertta.consultant, version=second.version
    )
    assert_live()
    aggregates.refresh()
    assert_live()
    services.offer_answer(actor=bertta, offer=offer, accept=False, reason="Ei")
    assert_live()
    # days held in Aino's case, then the case stopped: its held euros count as stopped
    for n in (1, 2):
        SessionDay.objects.create(
            case=first,
            date=clock.today() + timedelta(days=n),
            start_time="09:00",
            end_time="15:00",
            status=SessionDay.Status.HELD,
        )
    assert_live()
    Case.objects.filter(pk=first.pk).update(status=Case.Status.CANCELLED)
    assert_live()
    Case.objects.filter(pk=first.pk).update(agreed_day_price=Decimal("999.99"))
    assert_live()
    Case.objects.filter(pk=second.pk).update(consultant=bertta.consultant, status="delivery")
    assert_live()
    Case.objects.filter(pk=second.pk).update(approved_days=5, agreed_day_price=Decimal("1234.56"))
    assert_live()
    SessionDay.objects.filter(case=first).first().delete()
    assert_live()
    aggregates.refresh()
    assert not FigureChange.objects.exists()
    assert_live()
    assert aggregates.check() == []


def test_without_the_statistics_app_the_counters_are_the_stored_loads(
    applicant, coordinator, open_call, agreement, supplier, monkeypatch
):
    """The hook without a registered reader (the statistics app not installed): the call-off
    reads the stored loads (after ``refresh``, which then does nothing)."""
    aino = make_consultant("aino.a", supplier)
    case = approved_case(applicant, coordinator, open_call, days=2)
    services.case_call_off(actor=coordinator, case=case, version=case.version)
    aggregates.refresh()
    monkeypatch.setattr(hook, "_loads", None)
    pool = calloff.pool(case, agreement)
    with transaction.atomic():
        counted = calloff.locked_counters(agreement, pool)
    assert counted.load[aino.consultant.pk] == 2


def test_a_long_queue_is_folded_in_after_the_call_offs_commit(
    applicant, coordinator, open_call, agreement, supplier, monkeypatch
):
    """Without the beat the queue would only grow: a call-off that reads more queued cases
    than ``LONG_QUEUE`` folds them in after its commit (not under its lock)."""
    make_consultant("aino.a", supplier)
    case = approved_case(applicant, coordinator, open_call)
    monkeypatch.setattr(aggregates, "LONG_QUEUE", 0)
    services.case_call_off(actor=coordinator, case=case, version=case.version)
    assert not FigureChange.objects.exists()
    assert aggregates.check() == []
