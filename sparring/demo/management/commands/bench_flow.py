"""Benchmark: one case draft -> closed, the real flow vs stock viewflow vs a raw-SQL floor.

Runs the three engines of ``sparring.demo.bench.flow`` alternately (A, B, C in
every round; ``BENCH_FLOW_ROUNDS`` rounds, 20 by default, after one warm-up
round), takes the median per case and per step, and records
``flow_vs_stock_viewflow``, ``flow_vs_raw_sql`` and ``queries_per_case`` in the
bench summary. ``--profile`` prints the statements each real step sends most
often (to see what repeats). The bench cases stay in the bench database; the
floor's tables are dropped at the end.
"""

import logging
import os
import statistics

from django.core.management.base import BaseCommand
from django.db import connection

from sparring.demo.bench import summary
from sparring.demo.bench.flow import RawFloor, RealFlow, StockFlow


def _median(values):
    return statistics.median(values) if values else 0.0


class Command(BaseCommand):
    help = "One case draft->closed: the real flow vs stock viewflow vs a raw-SQL floor."

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=None, help="BENCH_FLOW_ROUNDS")
        parser.add_argument(
            "--profile", action="store_true", help="print the most repeated SQL of each step"
        )

    def handle(self, *args, rounds=None, profile=False, **options):
        rounds = rounds or int(os.environ.get("BENCH_FLOW_ROUNDS", "20"))
        for name in ("celery", "kombu", "weasyprint", "fontTools"):
            logging.getLogger(name).setLevel(logging.ERROR)  # a line per e-mail task otherwise
        real, stock = RealFlow(), StockFlow()
        floor = RawFloor(steps=len(RealFlow.STEPS))
        runs = {"real": [], "stock": [], "raw": []}
        try:
            real.run_case(), stock.run_case(), floor.run_case()  # warm-up: imports, caches
            for _round in range(rounds):
                runs["real"].append(real.run_case(keep_sql=profile))
                runs["stock"].append(stock.run_case())
                runs["raw"].append(floor.run_case())
        finally:
            floor.drop()

        per_case = {
            name: {
                "ms": _median([sum(s["ms"] for s in case) for case in cases]),
                "queries": _median([sum(s["queries"] for s in case) for case in cases]),
                "commits": _median([sum(s["commits"] for s in case) for case in cases]),
                "steps": len(cases[0]),
            }
            for name, cases in runs.items()
        }
        steps = []
        stock_steps = len(runs["stock"][0])
        for index, first in enumerate(runs["real"][0]):
            # the real flow's last step, "mail" (the worker's e-mail flush), has no
            # stock counterpart: stock viewflow sends no e-mail
            paired = index < stock_steps
            steps.append(
                {
                    "step": first["step"],
                    "ms": round(_median([case[index]["ms"] for case in runs["real"]]), 2),
                    "queries": int(_median([case[index]["queries"] for case in runs["real"]])),
                    "stock_ms": round(_median([case[index]["ms"] for case in runs["stock"]]), 2)
                    if paired
                    else None,
                    "stock_queries": int(
                        _median([case[index]["queries"] for case in runs["stock"]])
                    )
                    if paired
                    else None,
                }
            )
        figures = {
            "flow_vs_stock_viewflow": round(per_case["real"]["ms"] / per_case["stock"]["ms"], 3),
            "queries_per_case": int(per_case["real"]["queries"]),
            "flow_vs_raw_sql": round(per_case["real"]["ms"] / per_case["raw"]["ms"], 2),
        }
        details = {
            "database": connection.vendor,
            "rounds": rounds,
            "per_case": per_case,
            "steps": steps,
            "load": summary.machine_load(),
        }
        summary.record("flow", figures, details)
        self._print(per_case, steps, figures, rounds)
        if profile:
            self._profile(runs["real"][-1])

    def _print(self, per_case, steps, figures, rounds):
        out = self.stdout.write
        out(f"One case draft->closed on {connection.vendor}, medians of {rounds} rounds (A/B/C)")
        out(f"{'engine':8} {'steps':>5} {'ms/case':>9} {'queries':>8} {'commits':>8}")
        for name, row in per_case.items():
            out(
                f"{name:8} {row['steps']:>5} {row['ms']:>9.1f} {row['queries']:>8.0f}"
                f" {row['commits']:>8.0f}"
            )
        out("")
        out(f"{'real step':14} {'ms':>8} {'queries':>8}   {'stock ms':>8} {'queries':>8}")
        for row in steps:
            stock = (
                f"{row['stock_ms']:>8.2f} {row['stock_queries']:>8}"
                if row["stock_ms"] is not None
                else f"{'-':>8} {'-':>8}"
            )
            out(f"{row['step']:14} {row['ms']:>8.2f} {row['queries']:>8}   {stock}")
        out("")
        for name, value in figures.items():
            out(f"{name:24} {value}")
        out(f"load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")

    def _profile(self, case_steps):
        from collections import Counter

        for step in case_steps:
            self.stdout.write(f"\n-- {step['step']}: {step['queries']} queries")
            if os.environ.get("BENCH_FLOW_PROFILE_ORDER"):
                for sql in step["sql"]:
                    self.stdout.write(f"    {sql[:160]}")
                continue
            for sql, n in Counter(step["sql"]).most_common():
                self.stdout.write(f"{n:3} {sql[:220]}")
