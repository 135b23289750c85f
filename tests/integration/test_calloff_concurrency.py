"""Call-offs at the same moment on PostgreSQL never hand out the same last days of capacity
or the same last euros of the budget, and what they do while holding the agreement's lock."""

import threading

from django.core.exceptions import ValidationError
from django.db import connection

from procurement import calloff
from procurement.models import Offer
from sparring.cases import services
from tests.conftest import make_consultant
from tests.unit.procurement.test_calloff import approved_case


def _call_off_together(cases, coordinator) -> dict:
    """Call off every case of ``cases`` at the same moment (one thread and connection each);
    each case's outcome: "offered" or the ValidationError's message."""
    barrier = threading.Barrier(len(cases))
    outcomes = {}

    def call_off(case):
        try:
            barrier.wait(timeout=10)
            services.case_call_off(actor=coordinator, case=case, version=case.version)
            outcomes[case.pk] = "offered"
        except ValidationError as error:
            outcomes[case.pk] = " ".join(error.messages)
        finally:
            connection.close()

    threads = [threading.Thread(target=call_off, args=(case,)) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_call_offs_respect_the_budget(
    transactional_db, applicant, coordinator, open_call, agreement, supplier
):
    """Issue 17: with euros for one call-off left, two at once (different cases, different
    consultants, each with capacity) give one offer; the other is refused for the budget."""
    first_user = make_consultant("aino.a", supplier, capacity_total=10)
    second_user = make_consultant("bertta.b", supplier, capacity_total=10)
    cases = [approved_case(applicant, coordinator, open_call, days=2) for _n in range(2)]
    one = 2 * supplier.day_price  # what one call-off of 2 days costs
    agreement.budget = one + one / 2  # room for one, not two
    agreement.save(update_fields=["budget"])

    outcomes = _call_off_together(cases, coordinator)

    assert list(outcomes.values()).count("offered") == 1, outcomes
    # refused for the budget: the message names the cost and the euros left
    assert any(f"{one}" in o and f"{one / 2}" in o for o in outcomes.values()), outcomes
    offers = Offer.objects.filter(case__in=cases, status=Offer.Status.OFFERED)
    assert offers.count() == 1
    assert offers.get().consultant_id in (first_user.consultant.pk, second_user.consultant.pk)
    loads = calloff.committed_days([first_user.consultant.pk, second_user.consultant.pk])
    assert sum(loads.values()) == 2


def test_concurrent_call_offs_respect_capacity(
    transactional_db, applicant, coordinator, open_call, agreement, supplier
):
    only = make_consultant("aino.a", supplier, capacity_total=2)
    first = approved_case(applicant, coordinator, open_call, days=2)
    second = approved_case(applicant, coordinator, open_call, days=2)
    barrier = threading.Barrier(2)
    outcomes = {}

    def call_off(case):
        try:
            barrier.wait(timeout=10)
            services.case_call_off(actor=coordinator, case=case, version=case.version)
            outcomes[case.pk] = "offered"
        except ValidationError:
            outcomes[case.pk] = "nobody eligible"
        finally:
            connection.close()

    threads = [threading.Thread(target=call_off, args=(case,)) for case in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == ["nobody eligible", "offered"]
    assert Offer.objects.filter(consultant=only.consultant).count() == 1
    assert calloff.committed_days([only.consultant.pk])[only.consultant.pk] == 2


def test_the_agreement_lock_covers_counters_choice_and_writes_only(
    transactional_db, applicant, coordinator, open_call, agreement, supplier
):
    """Issue 17: everything a call-off reads that other call-offs do not change is read
    before the agreement's lock; under it, only the lock (the agreement with its
    consultants), one read of the counters, then the writes. The counters read the
    cases and their offers only through the queue of changes not yet folded in (the
    loads as the records stand), never the cases' or the ledger's history."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    make_consultant("aino.a", supplier, capacity_total=10)
    case = approved_case(applicant, coordinator, open_call, days=2)
    with CaptureQueriesContext(db) as queries:
        services.case_call_off(actor=coordinator, case=case, version=case.version)
    statements = [q["sql"] for q in queries.captured_queries]
    table = '"procurement_frameworkagreement"'
    locked_at = next(n for n, sql in enumerate(statements) if table in sql and "FOR UPDATE" in sql)
    assert '"procurement_consultant"' in statements[locked_at]
    first_write = next(
        n
        for n, sql in enumerate(statements)
        if n > locked_at and sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    )
    reads = statements[locked_at + 1 : first_write]
    assert len(reads) == 1, reads  # the counters
    _reads_the_cases_through_the_queue_only(reads[0])


def _reads_the_cases_through_the_queue_only(counters: str) -> None:
    """Each part of the counters' statement that reads cases, offers, days or figures rows
    is bounded by the queue (``IN (SELECT ... "statistics_figurechange" ...)``), and
    nothing in it sums or groups rows."""
    parts = counters.split(" UNION ALL ")
    assert len(parts) == 5, counters
    for part in parts:
        if (
            any(
                f'FROM "{t}"' in part
                for t in ("sparring_case", "procurement_offer", "sparring_sessionday")
            )
            or 'FROM "statistics_casefigures"' in part
        ):
            assert '"statistics_figurechange"' in part, part
    assert "GROUP BY" not in counters and "SUM(" not in counters.upper(), counters


def test_the_flow_bookkeeping_is_done_before_the_agreement_lock(
    transactional_db, applicant, coordinator, open_call, agreement, supplier
):
    """Issue 17: the call-off's task completion, the offer's task, its timers and the
    step's deadline row are written before the agreement's lock is taken, so other
    cases' call-offs do not wait for them; from the lock to the commit only the counters,
    the writes that name the chosen consultant (case, offer, call-off record, audit row,
    outbox) and no read of the cases or their offers."""
    from django.db import connection as db
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    make_consultant("aino.a", supplier, capacity_total=10)
    case = approved_case(applicant, coordinator, open_call, days=2)
    table = '"procurement_frameworkagreement"'
    marks = {}

    def mark_commit(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if table in sql and "FOR UPDATE" in sql:
            transaction.on_commit(lambda: marks.setdefault("commit", len(queries)))
        return result

    with CaptureQueriesContext(db) as queries, db.execute_wrapper(mark_commit):
        services.case_call_off(actor=coordinator, case=case, version=case.version)
    statements = [q["sql"] for q in queries.captured_queries]
    locked_at = next(n for n, sql in enumerate(statements) if table in sql and "FOR UPDATE" in sql)
    before, under = statements[:locked_at], statements[locked_at + 1 : marks["commit"]]
    flow_tables = ('"viewflow_task"', '"viewflow_task_previous"', '"sparring_stepdeadline"')
    assert any(t in sql for sql in before for t in flow_tables), before
    assert not any(t in sql for sql in under for t in flow_tables), under
    writes = [sql for sql in under if sql.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert len(writes) <= 5, writes  # the case, the offer, the call-off record, audit, outbox
    assert not any(sql.lstrip().upper().startswith("DELETE") for sql in under), under


def test_the_counters_of_the_previous_call_off_sum_no_history(
    transactional_db, applicant, coordinator, open_call, agreement, supplier
):
    """Issue 17: in a burst, a call-off counts the previous call-off's changes (queued,
    not folded in) under the agreement's lock. It reads those cases' rows only, through
    the queue: no sum over the consultants' cases, and the same statements with 2 or 40
    cases in the consultant's history."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from sparring.statistics import aggregates

    aino = make_consultant("aino.a", supplier, capacity_total=200)

    def locked_section(history: int) -> list[str]:
        cases = [approved_case(applicant, coordinator, open_call, days=1) for _n in range(history)]
        for case in cases:
            services.case_call_off(actor=coordinator, case=case, version=case.version)
        aggregates.refresh()  # the history folded in, as the beat does
        first, second = (approved_case(applicant, coordinator, open_call, days=1) for _n in "ab")
        services.case_call_off(actor=coordinator, case=first, version=first.version)
        with CaptureQueriesContext(db) as queries:
            offer = services.case_call_off(actor=coordinator, case=second, version=second.version)
        # the previous offer counted although not folded in
        loads = {c["consultant"]: c["load"] for c in offer.call_off.candidates}
        open_days = Offer.objects.filter(consultant=aino.consultant, status=Offer.Status.OFFERED)
        assert loads[aino.consultant.pk] == open_days.exclude(case=second).count()
        statements = [q["sql"] for q in queries.captured_queries]
        table = '"procurement_frameworkagreement"'
        locked_at = next(
            n for n, sql in enumerate(statements) if table in sql and "FOR UPDATE" in sql
        )
        return statements[locked_at:]

    few = locked_section(1)
    _reads_the_cases_through_the_queue_only(few[1])
    assert not any('"statistics_casefigures"' in sql and "SUM(" in sql.upper() for sql in few)
    assert not any('FROM "sparring_case"' in sql and "GROUP BY" in sql for sql in few)
    many = locked_section(20)
    assert len(many) == len(few)
