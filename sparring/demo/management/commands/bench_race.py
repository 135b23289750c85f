"""Benchmark: 32 coordinators approve the same application at the same moment, through HTTP.

Under gunicorn (2 workers × 16 threads, so that 32 requests really run at once),
each of 32 coordinators opens the case page of one submitted application and all
POST its "approve" form together. Exactly one must win, the others must be told
that the step is gone (no response of 500 or more), and the slowest of the 32
(p99) is compared with one coordinator approving another identical application
alone (median of several). Rounds alternate: alone, together, alone, together…

Records ``race_winners`` (1 when every round had exactly one winner, else the
first round's count that was not 1), ``race_server_errors`` and
``race_p99_vs_single`` (median over the rounds) in ``var/bench/summary.json``.

Each round also measures its floor: the same 32 clients posting at once a form
older than the case, so that every one is refused before any form or lock (the
cheapest answer the product gives to a signed-in POST). ``race_p99_vs_floor`` is
the race's p99 over the floor's: near 1, what is left is the cost of 32 requests
on the machine's cores, not the completion's.
Works on SQLite and PostgreSQL (the database of ``DATABASE_URL``).
"""

import statistics
import time

from django.core.management.base import BaseCommand

from sparring.demo.bench import flowcases, race, summary
from sparring.demo.bench.server import gunicorn, percentile, signed_in
from sparring.models import AuditEvent, Case

APPROVE = {"decision": "approve", "approved_days": "2", "comment": ""}


class Command(BaseCommand):
    help = "32 concurrent completions of one task (approve) vs one alone, through gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=32)
        parser.add_argument("--rounds", type=int, default=5, help="rounds of all-at-once")
        parser.add_argument("--singles", type=int, default=2, help="lone approvals per round")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=16)

    def handle(self, *args, **options):
        with flowcases.quiet_mail():
            self.measure(**options)

    def measure(self, *, clients, rounds, singles, workers, threads, **options):
        world = flowcases.world("race", coordinators=clients)
        self.stdout.write(
            f"{clients} coordinators, {rounds} rounds, gunicorn {workers} workers × {threads} threads"
        )
        results, alone, refused, floor = [], [], [], []
        with gunicorn(workers=workers, threads=threads) as base:
            sessions = [signed_in(user) for user in world.coordinators]
            self._warm(base, sessions)
            for n in range(rounds):
                for _k in range(singles):
                    case = flowcases.submitted_case(world, n)
                    urls = self._urls(base, case)
                    done = race.complete_alone(sessions[0], *urls, APPROVE)
                    self._check(case, [done])
                    alone.append(done.seconds)
                    # the same form again, from a page opened before: refused (a loser's path)
                    late = race.complete_alone(sessions[1], *urls, {**APPROVE, "version": 1})
                    refused.append(late.seconds)
                case = flowcases.submitted_case(world, n)
                together = race.complete_at_once(sessions, *self._urls(base, case), APPROVE)
                results.append(self._check(case, together))
                # The floor: the same clients at once, every one refused by the cheapest
                # path there is (a page older than the case: no form, no lock). What is
                # left is the server's own cost of 32 signed-in requests on these cores.
                stale = race.complete_at_once(
                    sessions, *self._urls(base, case), {**APPROVE, "version": 1}
                )
                floor.append(percentile([c.seconds for c in stale], 0.99))
        single = statistics.median(alone)
        rows = [
            {
                "round": n + 1,
                "winners": r["winners"],
                "refused": r["refused"],
                "errors": r["errors"],
                "p50_ms": round(r["p50"] * 1000, 1),
                "p99_ms": round(r["p99"] * 1000, 1),
                "ratio": round(r["p99"] / single, 2),
            }
            for n, r in enumerate(results)
        ]
        self._table(rows, single, alone, refused)
        self.stdout.write(
            f"floor: {clients} refused at once before any form, p99 median "
            f"{statistics.median(floor) * 1000:.0f} ms = {statistics.median(floor) / single:.2f}"
            " × one approval alone"
        )
        bad = [r["winners"] for r in results if r["winners"] != 1]
        figures = {
            "race_winners": bad[0] if bad else 1,
            "race_server_errors": sum(r["errors"] for r in results),
            "race_p99_vs_single": round(statistics.median(r["ratio"] for r in rows), 2),
            # not a target: how far the race is above its floor (see below)
            "race_p99_vs_floor": round(
                statistics.median(r["p99"] for r in results) / statistics.median(floor), 2
            ),
        }
        summary.record(
            "race",
            figures,
            {
                "clients": clients,
                "gunicorn": {"workers": workers, "threads": threads},
                "single_ms": [round(s * 1000, 1) for s in alone],
                "single_median_ms": round(single * 1000, 1),
                "refused_alone_median_ms": round(statistics.median(refused) * 1000, 1),
                # 32 refused before any form at once, p99 vs one approval alone (median of
                # the rounds): no completion path can be cheaper than this.
                "floor_all_stale_p99_ms": round(statistics.median(floor) * 1000, 1),
                "floor_p99_vs_single": round(statistics.median(floor) / single, 2),
                "rounds": rows,
                "load": summary.machine_load(),
            },
        )
        for name, value in figures.items():
            self.stdout.write(f"{name}: {value}")

    def _urls(self, base: str, case: Case) -> tuple[str, str]:
        return f"{base}/cases/{case.pk}/", f"{base}/cases/{case.pk}/do/decide/"

    def _warm(self, base: str, sessions) -> None:
        """Every thread of the server has loaded the case page once before anything is timed."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(sessions)) as pool:
            list(pool.map(lambda s: s.get(f"{base}/home/", timeout=60), sessions))

    def _check(self, case: Case, completions: list[race.Completion]) -> dict:
        """The round's counts; the database must agree: one approval, status approved."""
        seconds = [c.seconds for c in completions]
        counts = {
            outcome: sum(c.outcome == outcome for c in completions)
            for outcome in (race.WON, race.REFUSED, race.ERROR)
        }
        approvals = AuditEvent.objects.filter(case=case, action="case_approved").count()
        status = Case.objects.values_list("status", flat=True).get(pk=case.pk)
        if approvals != counts[race.WON] or status != Case.Status.APPROVED:
            self.stderr.write(
                f"Case {case.pk}: {counts[race.WON]} winners answered, {approvals} approvals "
                f"recorded, status {status}."
            )
        statuses = sorted({c.status for c in completions})
        if counts[race.ERROR]:
            self.stderr.write(f"Case {case.pk}: HTTP statuses {statuses}")
        return {
            "winners": max(counts[race.WON], approvals),
            "refused": counts[race.REFUSED],
            "errors": counts[race.ERROR],
            "p50": percentile(seconds, 0.5),
            "p99": percentile(seconds, 0.99),
            "ratio": 0.0,
        }

    def _table(self, rows, single, alone, refused) -> None:
        self.stdout.write(
            f"one approval alone: median {single * 1000:.0f} ms of {len(alone)} "
            f"(min {min(alone) * 1000:.0f}, max {max(alone) * 1000:.0f}); one refusal alone "
            f"(the step gone): median {statistics.median(refused) * 1000:.0f} ms"
        )
        self.stdout.write(
            f"{'round':>5} {'winners':>7} {'refused':>7} {'errors':>6} "
            f"{'p50 ms':>8} {'p99 ms':>8} {'p99/alone':>9}"
        )
        for row in rows:
            self.stdout.write(
                f"{row['round']:>5} {row['winners']:>7} {row['refused']:>7} {row['errors']:>6} "
                f"{row['p50_ms']:>8} {row['p99_ms']:>8} {row['ratio']:>9}"
            )
        self.stdout.write(f"load: {summary.machine_load()}  ({time.strftime('%H:%M:%S')})")
