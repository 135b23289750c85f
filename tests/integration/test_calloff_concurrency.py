"""Two call-offs at the same moment on PostgreSQL never hand out the same last days of capacity."""

import threading

from django.core.exceptions import ValidationError
from django.db import connection

from procurement import calloff
from procurement.models import Offer
from sparring.cases import services
from tests.conftest import make_consultant
from tests.unit.procurement.test_calloff import approved_case


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
    before the agreement's lock; under it, only the queue check, one read of the
    counters (which locks the consultants), then the writes. Nothing under the lock reads
    the cases, their offers or the ledger's history."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    make_consultant("aino.a", supplier, capacity_total=10)
    case = approved_case(applicant, coordinator, open_call, days=2)
    with CaptureQueriesContext(db) as queries:
        services.case_call_off(actor=coordinator, case=case, version=case.version)
    statements = [q["sql"] for q in queries.captured_queries]
    table = '"procurement_frameworkagreement"'
    locked_at = next(n for n, sql in enumerate(statements) if table in sql and "FOR UPDATE" in sql)
    first_write = next(
        n
        for n, sql in enumerate(statements)
        if n > locked_at and sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    )
    reads = statements[locked_at + 1 : first_write]
    # the queue check (its changes were folded in before the lock), the counters
    assert len(reads) <= 2, reads
    assert not any('FROM "sparring_case"' in sql for sql in reads), reads
    assert not any('"procurement_offer"' in sql for sql in reads), reads
