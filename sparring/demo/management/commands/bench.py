"""``make bench``: every benchmark of issue 17 in one run, their ratios and the targets.

Runs each benchmark as a child process against the benchmark database
(``sparring.demo.bench.database``: never the developer's own), collects the
figures in ``var/bench/summary.json``, prints them beside their targets and
fails (exit status 1) when a target is missed or a figure is missing.

``BENCH_CASES`` sets the size of the large data set (100 000 by default);
``--only flow,lists`` runs some of the benchmarks (the summary then lacks the rest);
``--keep`` adds to the previous run's summary (another bench database for some).

``bench_flow`` counts queries, which depend on what is in the database (coordinators
to notify, figures queued by other benchmarks): it runs on a database of its own,
made empty and migrated at every run (``<bench database>_flow``).
"""

import os
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sparring.demo.bench import summary
from sparring.demo.bench.database import (
    bench_database_url,
    ensure_database,
    recreate_database,
    sibling_url,
)

#: Benchmarks that run on a fresh database of their own: name -> the suffix of its name.
OWN_DATABASE = {"bench_flow": "_flow"}

#: The benchmarks in the order they run: command name -> what it measures.
BENCHMARKS = {
    "bench_flow": "one case draft->closed: real flow vs stock viewflow vs raw SQL",
    "bench_race": "32 concurrent completions of one task",
    "bench_calloffs": "eight call-offs of different cases at once vs one",
    "bench_survey": "survey answers per second vs a one-row-insert view",
    "bench_figures": "maintained aggregates vs live SQL (statistics, ledger, fairness, invoicing)",
    "bench_lists": "p50/p95 of every list page of every role at BENCH_CASES vs 10 cases",
}


class Command(BaseCommand):
    help = "Run every benchmark of issue 17, print the ratios and fail when a target is missed."

    def add_arguments(self, parser):
        parser.add_argument("--only", default="", help="comma-separated benchmark names")
        parser.add_argument(
            "--keep",
            action="store_true",
            help="add to the summary of the previous run instead of starting a new one "
            "(e.g. the list pages on another bench database: BENCH_DATABASE_URL)",
        )

    def handle(self, *args, only: str = "", keep: bool = False, **options):
        names = [f"bench_{n.removeprefix('bench_')}" for n in only.split(",") if n.strip()]
        unknown = [n for n in names if n not in BENCHMARKS]
        if unknown:
            raise CommandError(f"unknown benchmark(s): {', '.join(unknown)}")
        url = bench_database_url()
        ensure_database(url)
        env = {**os.environ, "DATABASE_URL": url, "SPARRING_VAR_DIR": str(settings.VAR_DIR)}
        env.setdefault("BENCH_CASES", "100000")
        run = {
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "database": url.split("@")[-1],
            "bench_cases": int(env["BENCH_CASES"]),
            "load_at_start": summary.machine_load(),
        }
        if keep:
            summary.note_meta(**{f"{key} ({only or 'all'})": value for key, value in run.items()})
        else:
            summary.reset(**run)
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        self._run([*manage, "migrate", "--noinput", "-v0"], env)
        failed = []
        for name in names or BENCHMARKS:
            self.stdout.write(self.style.MIGRATE_HEADING(f"== {name}: {BENCHMARKS[name]}"))
            own = env
            if name in OWN_DATABASE:
                own_url = sibling_url(url, OWN_DATABASE[name])
                recreate_database(own_url)
                own = {**env, "DATABASE_URL": own_url}
                self._run([*manage, "migrate", "--noinput", "-v0"], own)
            if self._run([*manage, name], own) != 0:
                failed.append(name)
        data = summary.load()
        summary.note_meta(load_at_end=summary.machine_load())
        self._print(data["figures"])
        problems = summary.misses(data["figures"])
        problems += [f"{name}: exited with an error" for name in failed]
        if problems:
            for line in problems:
                self.stderr.write(self.style.ERROR(f"MISSED {line}"))
            raise CommandError(f"{len(problems)} target(s) missed; see {summary.summary_path()}")
        self.stdout.write(self.style.SUCCESS(f"Every target met; {summary.summary_path()}"))

    def _run(self, command, env) -> int:
        return subprocess.run(command, env=env, cwd=settings.BASE_DIR, check=False).returncode  # noqa: S603 (our own manage.py)

    def _print(self, figures):
        self.stdout.write("")
        self.stdout.write(f"{'figure':28} {'value':>12}  target")
        for name, (op, bound, _meaning) in summary.TARGETS.items():
            value = figures.get(name)
            shown = "missing" if value is None else f"{value:.3g}"
            self.stdout.write(f"{name:28} {shown:>12}  {op} {bound}")
        extra = sorted(set(figures) - set(summary.TARGETS))
        for name in extra:
            self.stdout.write(f"{name:28} {figures[name]!s:>12}")
