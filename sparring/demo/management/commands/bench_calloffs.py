"""Benchmark: eight call-offs of different cases at the same moment vs one call-off alone.

An agreement with ``BENCH_CALLOFF_CASES`` closed cases in its history (20 000 by
default on PostgreSQL, 2 000 on SQLite; bulk-inserted once and kept in the
benchmark database) and approved cases made through the services. Each round
calls off one case alone, then eight other cases at once (eight threads, each
with its own database connection, released together), through the call-off
service ``sparring.cases.services.case_call_off`` that the coordinator's form
calls. Records ``calloffs_parallel_ratio`` = median wall time of the eight
together / median time of one alone (target ≤ 2: the agreement lock must not
serialise the whole call-off).

Also printed and kept in the summary (not targets): the agreement lock's hold (from
the locking statement's return to the commit) alone and among the eight, the share of
the eight call-offs' time spent waiting for it (timed around the locking statement:
``calloffs.call_off``), and the Python floor: the eight threads share one interpreter,
so their Python CPU runs one after another whatever the lock does (eight times one
call-off's Python CPU over one call-off alone).
"""

import os
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection

from procurement import reports
from sparring.demo.bench import calloffs, flowcases, summary


class Command(BaseCommand):
    help = "Eight call-offs of different cases at once vs one alone (the agreement lock)."

    def add_arguments(self, parser):
        default = 20_000 if connection.vendor == "postgresql" else 2_000
        parser.add_argument(
            "--history",
            type=int,
            default=int(os.environ.get("BENCH_CALLOFF_CASES", default)),
            help="closed cases in the agreement's history (BENCH_CALLOFF_CASES)",
        )
        parser.add_argument("--parallel", type=int, default=8)
        parser.add_argument("--rounds", type=int, default=4)

    def handle(self, *args, **options):
        with flowcases.quiet_mail():
            self.measure(**options)

    def measure(self, *, history, parallel, rounds, **options):
        world = flowcases.world("calloffs", coordinators=parallel, consultants=11)
        started = time.monotonic()
        added = calloffs.ensure_history(world, history)
        if added:
            self.stdout.write(f"Added {added} history cases in {time.monotonic() - started:.0f} s.")
        size = calloffs.history_size(world)
        started = time.monotonic()
        needed = rounds * (parallel + 1) + 1
        cases = [flowcases.approved_case(world, n) for n in range(needed)]
        self.stdout.write(
            f"{size} history cases; {needed} approved cases made in "
            f"{time.monotonic() - started:.0f} s; {rounds} rounds of 1 alone and {parallel} at once."
        )
        calloffs.call_offs_at_once(world, cases[:1])  # warm up: imports, caches, plans
        cases = cases[1:]
        alone, together, each, cpu, held_alone, held, share = [], [], [], [], [], [], []
        for n in range(rounds):
            batch = cases[n * (parallel + 1) : (n + 1) * (parallel + 1)]
            wall, times = calloffs.call_offs_at_once(world, batch[:1])
            alone.append(wall)
            cpu.append(times[0].cpu)
            held_alone.append(times[0].held)
            wall, times = calloffs.call_offs_at_once(world, batch[1:])
            together.append(wall)
            each.extend(t.seconds for t in times)
            held.extend(t.held for t in times)
            share.append(sum(t.wait for t in times) / sum(t.seconds for t in times))
        ledger = self._ledger_time(world)
        one, eight = statistics.median(alone), statistics.median(together)
        ratio = round(eight / one, 2)
        # What the threads' Python alone needs, one after another (one process, one GIL):
        # the ratio no lock design can go below in this benchmark (on these cores).
        python_floor = round(parallel * statistics.median(cpu) / one, 2)
        self.stdout.write(
            f"{'round':>5} {'alone ms':>9} {f'{parallel} at once ms':>16} {'ratio':>6} "
            f"{'lock wait share':>16}"
        )
        for n in range(rounds):
            self.stdout.write(
                f"{n + 1:>5} {alone[n] * 1000:>9.0f} {together[n] * 1000:>16.0f} "
                f"{together[n] / alone[n]:>6.2f} {share[n]:>16.2f}"
            )
        self.stdout.write(
            f"median: one alone {one * 1000:.0f} ms, {parallel} at once {eight * 1000:.0f} ms "
            f"(each {statistics.median(each) * 1000:.0f} ms median); Python CPU of one "
            f"{statistics.median(cpu) * 1000:.0f} ms; ledger alone "
            f"{ledger * 1000:.0f} ms\n"
            f"agreement lock: held {statistics.median(held_alone) * 1000:.1f} ms alone, "
            f"{statistics.median(held) * 1000:.1f} ms (median) among {parallel}; waiting for it "
            f"{statistics.median(share):.0%} of the {parallel} call-offs' time (median round)\n"
            f"Python floor ({parallel} x Python CPU of one / one alone): {python_floor}\n"
            f"calloffs_parallel_ratio: {ratio} (target <= 2)\n"
            f"load: {summary.machine_load()}"
        )
        summary.record(
            "calloffs",
            {"calloffs_parallel_ratio": ratio},
            {
                "history_cases": size,
                "parallel": parallel,
                "alone_ms": [round(s * 1000, 1) for s in alone],
                "together_ms": [round(s * 1000, 1) for s in together],
                "each_median_ms": round(statistics.median(each) * 1000, 1),
                "python_cpu_of_one_ms": round(statistics.median(cpu) * 1000, 1),
                "python_floor_ratio": python_floor,
                "lock_held_alone_ms": round(statistics.median(held_alone) * 1000, 1),
                "lock_held_together_ms": round(statistics.median(held) * 1000, 1),
                "lock_wait_share": [round(x, 3) for x in share],
                "ledger_ms": round(ledger * 1000, 1),
                "load": summary.machine_load(),
            },
        )

    def _ledger_time(self, world) -> float:
        """Median seconds of the agreement's ledger alone (what the call-off adds up)."""
        times = []
        for _n in range(3):
            started = time.perf_counter()
            reports.ledger(world.agreement).remaining_eur  # noqa: B018 (computed, not used)
            times.append(time.perf_counter() - started)
        return statistics.median(times)
