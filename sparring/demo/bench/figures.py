"""Shared pieces of the figures benchmarks (``bench_figures``, ``bench_statistics``).

``generate(n)`` inserts n cases with their days, reports, survey answers, offers and
call-off records (bulk inserts, one new call; statuses, dates and grades drawn from a
seeded random generator, so the same n gives the same data). It measures reading the
rows, not the flow. The maintained aggregates are rebuilt by the caller
(``sparring.statistics.aggregates.rebuild``).

``alternate(pairs, repeat)`` times named callables in turns, so that each sees the
same cache state and the same load of a shared machine.
"""

import random
import statistics as stats
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.utils import timezone

from procurement.models import CallOff, Consultant, Offer
from sparring.demo import data as demo
from sparring.models import Call, Case, Sector, SessionDay, Theme, User
from sparring.reports.models import Report
from sparring.surveys.models import Survey, SurveyAnswer
from sparring.workdays import HELSINKI

BATCH = 5000


def alternate(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """The median seconds of each callable of ``runs``, run in turns ``repeat`` times."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _round in range(repeat):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return {name: stats.median(values) for name, values in times.items()}


def generate(count: int, *, seed: int = 100_000):
    """Insert ``count`` cases and their rows (see the module docstring); returns the
    framework agreement their call-offs use."""
    rng = random.Random(seed + count)
    agreement = demo.ensure_framework()
    organisations = list(demo.ensure_organisations().values())
    consultants = list(
        Consultant.objects.filter(supplier__agreement=agreement).select_related("supplier")
    )
    sectors = [*Sector.objects.all(), None]
    themes = list(Theme.objects.all())
    coordinator = User.objects.filter(role=User.Role.COORDINATOR).first() or demo.ensure_user(
        "bench.koordinaattori", User.Role.COORDINATOR, "Bench", "Koordinaattori"
    )
    call = Call.objects.create(
        title="Benchmark",
        opens_at=datetime(2021, 1, 1, tzinfo=HELSINKI),
        closes_at=datetime(2026, 1, 1, tzinfo=HELSINKI),
        delivery_starts=date(2021, 1, 1),
        delivery_ends=date(2026, 12, 31),
        day_budget=10 * count,
    )
    statuses = (
        ["closed"] * 70
        + ["rejected"] * 6
        + ["withdrawn"] * 3
        + ["submitted", "approved", "offered", "scheduling", "delivery", "reporting"] * 3
        + ["feedback", "closing", "returned"]
    )
    called_off = {"offered", "scheduling", "delivery", "reporting", "feedback", "closing"}
    for start in range(0, count, BATCH):
        rows = []
        for _n in range(start, min(count, start + BATCH)):
            status = rng.choice(statuses)
            organisation, applicant = rng.choice(organisations)
            sector = rng.choice(sectors)
            submitted = datetime(2021, 8, 23, 9, tzinfo=HELSINKI) + timedelta(
                days=rng.randint(0, 1500), minutes=rng.randint(0, 480)
            )
            decided = (
                submitted + timedelta(days=rng.randint(1, 20))
                if status not in ("submitted", "returned", "withdrawn")
                else None
            )
            approved = rng.choice([1, 2, 2, 2]) if decided and status != "rejected" else None
            consultant = rng.choice(consultants) if status in called_off | {"closed"} else None
            rows.append(
                Case(
                    call=call,
                    organisation=organisation,
                    created_by=applicant,
                    status=status,
                    whole_organisation=sector is None,
                    sector=sector,
                    theme=rng.choice(themes),
                    development_need="-",
                    goal="-",
                    target_group="-",
                    estimated_participants=20,
                    requested_days=2,
                    approved_days=approved,
                    contact_name="-",
                    contact_email="bench@example.invalid",
                    staff_representative="-",
                    consultant=consultant,
                    submitted_at=submitted,
                    decided_at=decided,
                )
            )
        created = Case.objects.bulk_create(rows)
        _children(rng, created, coordinator, agreement)
    return agreement


def _children(rng, cases, coordinator, agreement) -> None:
    days, reports, surveys, offers = [], [], [], []
    for case in cases:
        if case.consultant_id is None:
            continue
        offers.append(
            Offer(
                case=case,
                consultant_id=case.consultant_id,
                status="accepted",
                offered_by=coordinator,
                deadline=case.decided_at + timedelta(days=7),
            )
        )
        held = case.status in ("delivery", "reporting", "feedback", "closing", "closed")
        first = timezone.localdate(case.decided_at) + timedelta(days=rng.randint(14, 60))
        for k in range(case.approved_days or 1):
            day = first + timedelta(days=21 * k)
            done = held and (case.status != "delivery" or k == 0)
            days.append(
                SessionDay(
                    case=case,
                    date=day,
                    start_time="09:00",
                    end_time="15:30",
                    place="-",
                    status="held" if done else "confirmed",
                    participants=rng.randint(8, 30) if done else None,
                )
            )
        if case.status in ("feedback", "closing", "closed"):
            last = first + timedelta(days=21 * ((case.approved_days or 1) - 1))
            reports.append(
                Report(
                    case=case,
                    status="submitted",
                    revision=1,
                    participants=rng.randint(10, 50),
                    submitted_at=datetime.combine(
                        last + timedelta(days=rng.randint(1, 10)),
                        datetime.min.time(),
                        tzinfo=HELSINKI,
                    ).replace(hour=15),
                )
            )
            surveys.append(Survey(case=case, closes_at=case.decided_at + timedelta(days=90)))
    Offer.objects.bulk_create(offers)
    CallOff.objects.bulk_create(
        CallOff(
            case_id=offer.case_id,
            agreement=agreement,
            method=agreement.method,
            candidates=[],
            chosen_id=offer.consultant_id,
            offer=offer,
            decided_by=coordinator,
        )
        for offer in offers
    )
    SessionDay.objects.bulk_create(days)
    Report.objects.bulk_create(reports)
    created = Survey.objects.bulk_create(surveys)
    grades = [5] * 15 + [4] * 4 + [3]
    SurveyAnswer.objects.bulk_create(
        SurveyAnswer(survey=survey, overall=rng.choice(grades))
        for survey in created
        for _k in range(rng.randint(1, 5))
    )
