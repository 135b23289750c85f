"""Benchmark: every list page of every role at BENCH_CASES cases vs at 10 cases (issue 17, 1b).

    DATABASE_URL=postgres://.../x_bench BENCH_CASES=100000 manage.py bench_lists
    (normally through ``make bench`` / ``manage.py bench --only lists``)

Two databases made by the same generator (``sparring.demo.bench.dataset``): the one
in ``DATABASE_URL`` with BENCH_CASES cases and ``<its name>_small`` with 10
(``BENCH_SMALL_DATABASE_URL`` names another one); each is kept between runs (a marker
holds its size: a small set made by an older generator is kept too, drop it to make it
again). Two gunicorn servers (2 workers each),
one per database, serve the same pages to the same roles. For every page the two
sizes are measured one after the other (A/B in the same minute): one warm-up
request, then ``--requests`` GETs from ``--concurrency`` concurrent clients. Per page:
p50/p95 at each size, their ratio, the response size and statuses.

Records ``list_p95_ratio_max`` (the worst page's p95 ratio) and
``list_server_errors`` (responses >= 500 or no response) in ``var/bench/summary.json``.
"""

import json
import os
import subprocess
import sys
from contextlib import ExitStack, contextmanager

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sparring.demo.bench import summary
from sparring.demo.bench.database import ensure_database, sibling_url
from sparring.demo.bench.server import gunicorn, hammer, percentile, timed_get

SMALL = 10


def small_database_url(url: str) -> str:
    """The 10-case database: ``BENCH_SMALL_DATABASE_URL`` when set, else ``url`` with
    ``_small`` after the database name (SQLite: beside the file)."""
    return os.environ.get("BENCH_SMALL_DATABASE_URL") or sibling_url(url, "_small")


@contextmanager
def _environment(**values):
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Command(BaseCommand):
    help = "p50/p95 of every list page of every role at BENCH_CASES vs 10 cases."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=None, help="default: BENCH_CASES")
        # 120: with 40, a page's p95 was its second slowest request of 40 queued behind
        # 20 clients on 2 workers, and back-to-back runs of the same code moved a page's
        # ratio by up to 0.7 (session 12); 120 takes about 4 minutes for every page
        parser.add_argument("--requests", type=int, default=120, help="per page and size")
        parser.add_argument("--concurrency", type=int, default=20)
        parser.add_argument("--only", default="", help="measure pages containing this text")
        parser.add_argument(
            "--prepare", action="store_true", help="(internal) make the data, print JSON"
        )

    def handle(
        self, *args, cases, requests: int, concurrency: int, only: str, prepare: bool, **options
    ):
        size = cases or int(os.environ.get("BENCH_CASES", "100000"))
        if prepare:
            from sparring.demo.bench.lists import prepare as make

            result = make(size, log=lambda line: self.stderr.write(line))
            self.stdout.write(json.dumps(result))
            return
        big_url = os.environ.get("DATABASE_URL", "")
        if not big_url:
            raise CommandError("Run through `manage.py bench` or set DATABASE_URL.")
        small_url = small_database_url(big_url)
        ensure_database(small_url)
        self._run(["migrate", "--noinput", "-v0"], small_url)
        sets = {
            "small": self._prepare(SMALL, small_url),
            "big": self._prepare(size, big_url),
        }
        for name, prepared in sets.items():
            data = prepared["dataset"]
            how = "reused" if data["reused"] else f"generated in {data['seconds']:.0f} s"
            self.stdout.write(f"{name}: {data['size']} cases ({how})")
        pages = [tuple(p) for p in sets["big"]["pages"]]
        if only:
            pages = [p for p in pages if only in p[1]]
        rows, errors = self._measure(sets, pages, small_url, big_url, requests, concurrency)
        rows.sort(key=lambda row: -row["ratio_p95"])
        self._print(rows, size)
        worst = rows[0]["ratio_p95"] if rows else None
        summary.record(
            "lists",
            {"list_p95_ratio_max": worst, "list_server_errors": errors},
            {
                "bench_cases": size,
                "requests_per_page": requests,
                "concurrency": concurrency,
                "generation_seconds": sets["big"]["dataset"]["seconds"],
                "load": summary.machine_load(),
                "pages": rows,
            },
        )

    # -- the two data sets --------------------------------------------------------------

    def _run(self, arguments, url, *, capture=False):
        env = {**os.environ, "DATABASE_URL": url}
        command = [sys.executable, str(settings.BASE_DIR / "manage.py"), *arguments]
        done = subprocess.run(  # noqa: S603 (our own manage.py)
            command,
            env=env,
            cwd=settings.BASE_DIR,
            check=False,
            stdout=subprocess.PIPE if capture else None,
            text=True,
        )
        if done.returncode != 0:
            raise CommandError(f"{' '.join(arguments)} failed on {url.split('@')[-1]}")
        return done.stdout

    def _prepare(self, size: int, url: str) -> dict:
        return json.loads(
            self._run(["bench_lists", "--prepare", f"--cases={size}"], url, capture=True)
        )

    # -- measuring ----------------------------------------------------------------------

    def _measure(self, sets, pages, small_url, big_url, count, concurrency):
        rows, errors = [], 0
        with ExitStack() as stack:
            bases = {}
            for name, url in (("small", small_url), ("big", big_url)):
                with _environment(DATABASE_URL=url):
                    bases[name] = stack.enter_context(gunicorn(workers=2))
            clients = {
                name: {
                    role: self._clients(cookie, concurrency)
                    for role, cookie in prepared["cookies"].items()
                }
                for name, prepared in sets.items()
            }
            for role, path in pages:
                row = {"role": role, "page": path}
                for name in ("small", "big"):
                    pool = clients[name][role]
                    timed_get(pool[0], bases[name] + path)  # warm-up, not counted
                    jobs = [(pool[n % len(pool)], bases[name] + path) for n in range(count)]
                    timings = hammer(jobs, concurrency)
                    seconds = [t.seconds for t in timings]
                    statuses = sorted({t.status for t in timings})
                    errors += sum(1 for t in timings if t.status >= 500 or t.status == 0)
                    size = self._size(pool[0], bases[name] + path)
                    row[f"{name}_p50_ms"] = round(percentile(seconds, 0.5) * 1000, 1)
                    row[f"{name}_p95_ms"] = round(percentile(seconds, 0.95) * 1000, 1)
                    row[f"{name}_bytes"] = size
                    row[f"{name}_status"] = statuses
                row["ratio_p95"] = round(row["big_p95_ms"] / max(row["small_p95_ms"], 0.1), 2)
                self.stdout.write(
                    f"  {role:11} {path:55} {row['small_p95_ms']:8.0f} {row['big_p95_ms']:8.0f}"
                    f" {row['ratio_p95']:6.2f}  {row['big_status']}"
                )
                rows.append(row)
        return rows, errors

    def _size(self, client: requests.Session, url: str) -> int:
        """Bytes of one response (0 when it fails or times out: counted in the statuses)."""
        try:
            return len(client.get(url, timeout=60, allow_redirects=False).content)
        except requests.RequestException:
            return 0

    def _clients(self, cookie: str, count: int) -> list[requests.Session]:
        sessions = []
        for _n in range(count):
            session = requests.Session()
            session.cookies.set(settings.SESSION_COOKIE_NAME, cookie)
            sessions.append(session)
        return sessions

    def _print(self, rows, size):
        self.stdout.write("")
        self.stdout.write(
            f"{'role':11} {'page':55} {'p50 10':>7} {'p95 10':>7} {f'p50 {size}':>9} "
            f"{f'p95 {size}':>9} {'ratio':>6} {'KB 10':>7} {f'KB {size}':>8} status"
        )
        for row in rows:
            statuses = (
                row["small_status"]
                if row["small_status"] == row["big_status"]
                else (f"{row['small_status']}/{row['big_status']}")
            )
            self.stdout.write(
                f"{row['role']:11} {row['page'][:55]:55} {row['small_p50_ms']:7.0f} "
                f"{row['small_p95_ms']:7.0f} {row['big_p50_ms']:9.0f} {row['big_p95_ms']:9.0f} "
                f"{row['ratio_p95']:6.2f} {row['small_bytes'] / 1024:7.1f} "
                f"{row['big_bytes'] / 1024:8.1f} {statuses}"
            )
        load = summary.machine_load()
        self.stdout.write(
            f"load {load['load_1']:.2f} {load['load_5']:.2f} on {load['cores']} cores"
        )
