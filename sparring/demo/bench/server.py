"""A real server for the benchmarks: gunicorn on a free port, signed-in clients, timed requests.

Used by the benchmarks that measure through HTTP (lists, survey, races). The
server runs ``config.settings.bench`` (no DEBUG) against the database in the
environment's ``DATABASE_URL``, which the ``bench`` command sets to the
benchmark database.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY


def free_port() -> int:
    """A TCP port nobody listens on now (127.0.0.1)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(workers: int = 2, threads: int = 1, timeout: int = 30) -> Iterator[str]:
    """Run gunicorn with ``workers`` processes; yields the base address (``http://127.0.0.1:N``).

    The server stops when the block ends. Raises RuntimeError when it does not answer
    within 60 seconds.
    """
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    gunicorn_bin = str(Path(sys.executable).with_name("gunicorn"))
    process = subprocess.Popen(  # noqa: S603 (our own server)
        [
            gunicorn_bin,
            "config.wsgi",
            f"--workers={workers}",
            f"--threads={threads}",
            f"--bind=127.0.0.1:{port}",
            f"--timeout={timeout}",
            "--log-level=warning",
        ],
        env=env,
        cwd=settings.BASE_DIR,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/accessibility/", timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):  # a slow first import
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def signed_in(user) -> requests.Session:
    """A ``requests`` session carrying a session cookie of ``user`` (second factor done).

    The session row is written straight to the session store, as Django's test
    client's ``force_login`` does; no password or second factor is asked.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "sparring.accounts.backends.CaseInsensitiveModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    client = requests.Session()
    client.cookies.set(settings.SESSION_COOKIE_NAME, store.session_key)
    return client


@dataclass
class Timing:
    """One request: its address, HTTP status and seconds from send to last byte."""

    url: str
    status: int
    seconds: float


def timed_get(client: requests.Session, url: str) -> Timing:
    """GET ``url`` with ``client`` and time it (status 0 when the connection failed)."""
    started = time.perf_counter()
    try:
        response = client.get(url, timeout=60, allow_redirects=False)
        status = response.status_code
    except requests.RequestException:
        status = 0
    return Timing(url, status, time.perf_counter() - started)


def hammer(jobs: Sequence[tuple[requests.Session, str]], concurrency: int = 20) -> list[Timing]:
    """GET every (client, url) of ``jobs`` with ``concurrency`` threads; the timings in order."""
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda job: timed_get(*job), jobs))


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` (0..1) percentile of ``values``, nearest rank; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]
