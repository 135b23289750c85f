"""Call-offs of different cases at the same moment (``bench_calloffs``).

The call-off locks the framework agreement (``sparring.cases.services.case_call_off``)
so that two call-offs never both take the last of a consultant's capacity or the
budget; whatever it does under that lock (to its commit) is done one call-off after
another, and :func:`call_off` times how long each waited for the lock and held it.
This module makes an agreement with a realistic history (bulk-inserted closed
cases, their accepted offers, call-off records and held days: what the ledger and
the rotation add up) and runs call-offs one per thread, each thread with its own
database connection, all released at once by a barrier.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from procurement.models import CallOff, Offer
from sparring.cases import services
from sparring.models import Case, SessionDay

from .flowcases import World, application

#: The contact address that marks the bulk-inserted history cases.
HISTORY_MARK = "bench-history@example.invalid"
BATCH = 2000


def history_size(w: World) -> int:
    """How many history cases ``w``'s call has."""
    return Case.objects.filter(call=w.call, contact_email=HISTORY_MARK).count()


def ensure_history(w: World, count: int, seed: int = 17) -> int:
    """Bulk-insert closed cases of ``w`` until it has ``count`` (returns how many were added).

    Each case: closed, 1 or 2 days approved at its consultant's supplier's price, an
    accepted offer, its call-off record and its days held. They are rows for the
    figures to add up, not cases driven through the flow (no process, no tasks).
    """
    missing = count - history_size(w)
    if missing <= 0:
        return 0
    rng = random.Random(seed + count)
    coordinator = w.coordinators[0]
    template = application()
    decided = timezone.now() - timedelta(days=400)
    added = 0
    while added < missing:
        size = min(BATCH, missing - added)
        with transaction.atomic():
            rows = []
            for _n in range(size):
                consultant = rng.choice(w.consultants)
                days = rng.choice((1, 2, 2))
                rows.append(
                    Case(
                        call=w.call,
                        organisation=w.organisation,
                        created_by=w.applicant,
                        status=Case.Status.CLOSED,
                        whole_organisation=False,
                        unit=template["unit"],
                        sector=template["sector"],
                        theme=template["theme"],
                        development_need="-",
                        goal="-",
                        target_group="-",
                        estimated_participants=20,
                        requested_days=2,
                        approved_days=days,
                        agreed_day_price=consultant.supplier.day_price,
                        contact_name="-",
                        contact_email=HISTORY_MARK,
                        staff_representative="-",
                        consultant=consultant,
                        submitted_at=decided - timedelta(days=10),
                        decided_at=decided,
                    )
                )
            cases = Case.objects.bulk_create(rows)
            offers = Offer.objects.bulk_create(
                Offer(
                    case=case,
                    consultant_id=case.consultant_id,
                    status=Offer.Status.ACCEPTED,
                    offered_by=coordinator,
                    deadline=decided + timedelta(days=7),
                )
                for case in cases
            )
            CallOff.objects.bulk_create(
                CallOff(
                    case_id=offer.case_id,
                    agreement=w.agreement,
                    method=w.agreement.method,
                    candidates=[],
                    chosen_id=offer.consultant_id,
                    offer=offer,
                    decided_by=coordinator,
                )
                for offer in offers
            )
            day = timezone.localdate(decided) + timedelta(days=30)
            SessionDay.objects.bulk_create(
                SessionDay(
                    case=case,
                    date=day + timedelta(days=7 * k),
                    start_time="09:00",
                    end_time="15:30",
                    place="-",
                    status=SessionDay.Status.HELD,
                    participants=20,
                )
                for case in cases
                for k in range(case.approved_days)
            )
        added += size
    if connection.vendor == "postgresql":
        # only the tables filled here: a database-wide ANALYZE waited on other sessions'
        # locks and once ended the run with a lock time-out
        tables = ", ".join(
            connection.ops.quote_name(model._meta.db_table)
            for model in (Case, Offer, CallOff, SessionDay)
        )
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")
    return added


@dataclass
class Timing:
    """One call-off's times, in seconds.

    ``wait`` is how long the statement that locks the framework agreement took (the
    wait for the call-offs holding it, nearly all of it); ``held`` runs from that
    statement's return to the commit (what this call-off made the others wait for).
    Both 0 when the call-off never took the lock (SQLite: no ``FOR UPDATE``).
    """

    seconds: float
    cpu: float
    wait: float = 0.0
    held: float = 0.0


#: How the lock's statement is recognised (``case_call_off`` locks the agreement row).
LOCK_TABLE = '"procurement_frameworkagreement"'


def call_off(w: World, case: Case, coordinator) -> Timing:
    """Call off the proposed consultant for ``case`` (approved) as ``coordinator``.

    Runs in the calling thread, on its own database connection (closed at the end).
    Returns its :class:`Timing`: seconds taken, seconds of this thread's own CPU time
    (the Python part; the rest is waiting for the database, its locks or the CPU), and
    the agreement lock's wait and hold, timed around the locking statement (a wrapper
    on this connection) and at the commit. Raises whatever the service raises
    (nothing is saved then).
    """
    marks: dict[str, float] = {}

    def timed(execute, sql, params, many, context):
        if LOCK_TABLE not in sql or "FOR UPDATE" not in sql:
            return execute(sql, params, many, context)
        asked = time.perf_counter()
        result = execute(sql, params, many, context)
        marks["asked"], marks["got"] = asked, time.perf_counter()
        transaction.on_commit(lambda: marks.setdefault("committed", time.perf_counter()))
        return result

    try:
        started, cpu = time.perf_counter(), time.thread_time()
        with connection.execute_wrapper(timed):
            services.case_call_off(actor=coordinator, case=case, version=case.version)
        timing = Timing(time.perf_counter() - started, time.thread_time() - cpu)
        if "committed" in marks:
            timing.wait = marks["got"] - marks["asked"]
            timing.held = marks["committed"] - marks["got"]
        return timing
    finally:
        connection.close()


def call_offs_at_once(w: World, cases: Sequence[Case]) -> tuple[float, list[Timing]]:
    """Call off every case of ``cases`` at the same moment, one thread each.

    Returns:
        (wall seconds from the release of the barrier to the last call-off's end,
        each call-off's :class:`Timing`). Raises the first error a call-off raised.
    """
    barrier = threading.Barrier(len(cases) + 1)
    coordinators = w.coordinators

    def go(index: int) -> Timing:
        case = Case.objects.get(pk=cases[index].pk)  # on this thread's connection
        barrier.wait()
        return call_off(w, case, coordinators[index % len(coordinators)])

    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        futures = [pool.submit(go, n) for n in range(len(cases))]
        barrier.wait()
        started = time.perf_counter()
        each = [future.result() for future in futures]
        wall = time.perf_counter() - started
    return wall, each
