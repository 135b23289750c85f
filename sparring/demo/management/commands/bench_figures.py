"""Benchmark: the figures from the maintained aggregates vs the live SQL, small vs large.

On PostgreSQL, inside one transaction rolled back at the end: the case tables are
emptied (TRUNCATE, undone by the rollback), 10 cases are generated
(``sparring.demo.bench.figures.generate``), the aggregates rebuilt, and each group of
figures timed from the aggregates and live, alternating; then the data set grows to
``BENCH_CASES`` cases (default 100 000) and the same is timed again. Before timing,
every figure from the aggregates is checked equal to the live one
(``statistics.compare.differences``, ``aggregates.check``), and again after a few
changes folded in incrementally (days held, answers, a case withdrawn).

Groups: the statistics page's figures (``figures.statistics`` + ``impact.impact``),
the ledger, fairness, the call-off's counters (loads, days per supplier, budget left),
and the invoicing page of one month (its count and total and the first page of
held days, against listing and summing every held day of the month as it was). Records in ``var/bench/summary.json``:
``aggregates_equal_live`` (1/0), ``figures_ratio_max`` (the worst large/small ratio
of a group read from the aggregates) and per group the ratios and the speed-up.
"""

import os
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from procurement import calloff, reports
from procurement.models import Consultant, FrameworkAgreement
from procurement.report_views import INVOICING_PAGE_SIZE
from sparring import aggregates as hook
from sparring.demo.bench import summary
from sparring.demo.bench.figures import alternate, generate
from sparring.models import Case, SessionDay
from sparring.statistics import aggregates, compare, impact, live
from sparring.statistics import figures as statistics
from sparring.surveys.models import Survey, SurveyAnswer

SMALL = 10
MONTH = date(2023, 5, 1)


def _invoicing_line(day) -> tuple:
    """What a line of the invoicing page shows of a held day."""
    case = day.case
    return (
        case.consultant.supplier.display_name(),
        str(case.consultant),
        case.reference,
        case.organisation.display_name(),
        day.date,
        day.participants,
        case.agreed_day_price,
    )


class Rollback(Exception):
    pass


def _groups(agreement: FrameworkAgreement) -> dict[str, tuple]:
    """Group -> (from the aggregates, live): each a callable returning comparable data."""
    consultants = list(
        Consultant.objects.filter(supplier__agreement=agreement).values_list("pk", flat=True)
    )

    def invoicing_page():
        # as the page: the month's count and total (the maintained month totals), one page
        # of days (its ids first, then its rows: ``reports.InvoicingPages``)
        days = reports.invoicing_rows(agreement, MONTH)
        count, total = reports.invoicing_total(agreement, MONTH)
        page = reports.InvoicingPages(days, count)[:INVOICING_PAGE_SIZE]
        return count, total, [_invoicing_line(day) for day in page]

    def invoicing_old():
        # as the page was: every held day of the month listed and summed
        days = list(
            SessionDay.objects.filter(
                case__consultant__supplier__agreement=agreement,
                status=SessionDay.Status.HELD,
                date__year=MONTH.year,
                date__month=MONTH.month,
            )
            .select_related(
                "case__organisation", "case__consultant__user", "case__consultant__supplier"
            )
            .order_by("case__consultant__supplier__ranking_position", "date", "pk")
        )
        total = sum((day.case.agreed_day_price or 0 for day in days), 0)
        return len(days), total, [_invoicing_line(day) for day in days[:INVOICING_PAGE_SIZE]]

    def page_figures():
        with hook.reading():  # as the statistics page: one fold-in for the page
            return statistics.statistics() | {"impact": impact.impact()}

    def calloff_counters():
        # as in the call-off's locked section: the lock, then the loads as the records
        # stand (nothing folded in), days per supplier and the budget's euros from them
        given = calloff.Pool(
            list(Consultant.objects.filter(pk__in=consultants)), set(), set(), set(), {}, None, None
        )
        with transaction.atomic():
            counted = calloff.locked_counters(agreement, given)
        return (
            {pk: counted.load.get(pk, 0) for pk in consultants},
            counted.supplier_days,
            counted.committed_eur,
        )

    return {
        "statistics": (
            page_figures,
            lambda: live.statistics() | {"impact": live.impact()},
        ),
        "ledger": (
            lambda: compare._ledger_rows(reports.ledger(agreement)),
            lambda: compare._ledger_rows(reports.ledger(agreement, live=True)),
        ),
        "fairness": (
            lambda: reports.fairness(agreement),
            lambda: reports.fairness(agreement, live=True),
        ),
        "calloff": (
            calloff_counters,
            lambda: (
                calloff.committed_days_live(consultants),
                {k: v for k, v in calloff.supplier_days_live(agreement).items() if v},
                reports.ledger(agreement, live=True).committed_eur,
            ),
        ),
        "invoicing": (invoicing_page, invoicing_old),
    }


class Command(BaseCommand):
    help = "Time the figures from the maintained aggregates vs live SQL at BENCH_CASES vs 10 cases."

    def add_arguments(self, parser):
        parser.add_argument(
            "--cases", type=int, default=int(os.environ.get("BENCH_CASES", 100_000))
        )
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *, cases: int, repeat: int, **options):
        if not settings.USES_POSTGRESQL:
            raise CommandError(
                "The figures benchmark runs on PostgreSQL: set DATABASE_URL=postgres://..."
            )
        cases = max(cases, SMALL + 1)
        self.problems: list[str] = []
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("TRUNCATE sparring_case CASCADE")
                agreement = generate_and_fold(SMALL)
                small = self._measure(agreement, SMALL, repeat)
                agreement = generate_and_fold(cases - SMALL)
                large = self._measure(agreement, cases, repeat)
                self._incremental_changes()
                raise Rollback
        except Rollback:
            pass
        self._report(small, large, cases)

    def _check(self, when: str) -> None:
        problems = compare.differences() + aggregates.check()
        self.problems += [f"{when}: {line}" for line in problems]
        self.stdout.write(
            f"{when}: aggregates {'equal' if not problems else 'DIFFER FROM'} the live SQL"
            + (f" ({len(problems)} differences)" if problems else "")
        )

    def _measure(self, agreement, size: int, repeat: int) -> dict[str, dict[str, float]]:
        self._check(f"{size} cases")
        groups = _groups(agreement)
        for name, (ours, theirs) in groups.items():
            if ours() != theirs():
                self.problems.append(f"{size} cases: {name} differs")
        runs = {}
        for name, (ours, theirs) in groups.items():
            runs[f"{name}/aggregates"] = ours
            runs[f"{name}/live"] = theirs
        medians = alternate(runs, repeat)
        return {
            name: {
                "aggregates": medians[f"{name}/aggregates"],
                "live": medians[f"{name}/live"],
            }
            for name in groups
        }

    def _incremental_changes(self) -> None:
        """A few changes of each kind, folded in by the triggers' queue: still equal."""
        for day in SessionDay.objects.exclude(status=SessionDay.Status.HELD).order_by("pk")[:20]:
            day.status = SessionDay.Status.HELD
            day.save(update_fields=["status"])
        for survey in Survey.objects.order_by("pk")[:20]:
            SurveyAnswer.objects.create(survey=survey, overall=4)
        Survey.objects.filter(pk__in=Survey.objects.order_by("-pk").values("pk")[:20]).update(
            closed=True
        )
        Case.objects.filter(
            pk__in=Case.objects.filter(status=Case.Status.SCHEDULING).values("pk")[:5]
        ).update(status=Case.Status.WITHDRAWN)
        self._check("after incremental changes")

    def _report(self, small: dict, large: dict, cases: int) -> None:
        rows, details = [], {}
        ratio_max = 0.0
        for name in small:
            ours_ratio = large[name]["aggregates"] / small[name]["aggregates"]
            live_ratio = large[name]["live"] / small[name]["live"]
            speedup = large[name]["live"] / large[name]["aggregates"]
            ratio_max = max(ratio_max, ours_ratio)
            details[name] = {
                "aggregates_ms": {
                    str(SMALL): small[name]["aggregates"] * 1000,
                    str(cases): large[name]["aggregates"] * 1000,
                },
                "live_ms": {
                    str(SMALL): small[name]["live"] * 1000,
                    str(cases): large[name]["live"] * 1000,
                },
                "aggregates_ratio": ours_ratio,
                "live_ratio": live_ratio,
                "live_vs_aggregates": speedup,
            }
            rows.append(
                f"{name:<11} {small[name]['aggregates'] * 1000:8.1f} "
                f"{large[name]['aggregates'] * 1000:9.1f} {ours_ratio:7.1f}× | "
                f"{small[name]['live'] * 1000:8.1f} {large[name]['live'] * 1000:9.1f} "
                f"{live_ratio:7.1f}× | {speedup:6.1f}×"
            )
        equal = 0 if self.problems else 1
        load = summary.machine_load()
        self.stdout.write(
            f"\nFigures at {SMALL} vs {cases} cases, medians in ms "
            f"(load {load.get('load_1', 0):.1f}):\n"
            f"{'group':<11} {'agg ' + str(SMALL):>8} {'agg ' + str(cases):>9} {'ratio':>8} | "
            f"{'live ' + str(SMALL):>8} {'live ' + str(cases):>9} {'ratio':>8} | live/agg\n"
            + "\n".join(rows)
        )
        for line in self.problems[:20]:
            self.stderr.write(line)
        figures = {
            "aggregates_equal_live": equal,
            "figures_ratio_max": round(ratio_max, 2),
            **{
                f"figures_{name}_ratio": round(d["aggregates_ratio"], 2)
                for name, d in details.items()
            },
            **{
                f"figures_{name}_live_vs_aggregates": round(d["live_vs_aggregates"], 2)
                for name, d in details.items()
            },
        }
        summary.record(
            "figures",
            figures,
            {
                "cases": cases,
                "small": SMALL,
                "load": load,
                "groups": details,
                "problems": self.problems[:50],
            },
        )
        if not equal:
            raise CommandError("The aggregates differ from the live SQL.")


def generate_and_fold(count: int) -> FrameworkAgreement:
    """Generate ``count`` more cases, fold everything into the aggregates, ANALYZE."""
    agreement = generate(count)
    aggregates.rebuild()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return agreement
