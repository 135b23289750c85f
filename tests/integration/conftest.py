"""Integration tests: real PostgreSQL, real Redis, real Celery worker processes.

They run when DATABASE_URL points at PostgreSQL and REDIS_URL at a Redis that
answers; otherwise they are skipped with the reason (and in CI a skip fails).

The worker processes are started by the fixtures below, not by hand: they must
point at the test database pytest-django creates, and one scenario kills a
worker with SIGKILL and starts another. Each test session uses its own queue,
so no other worker on the machine takes its messages.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_TIMEOUT = 5  # seconds before a dead worker's message goes to another


def _services_missing() -> str | None:
    if not settings.USES_POSTGRESQL:
        return "integration tests need DATABASE_URL=postgres://… (PostgreSQL)"
    if not settings.REDIS_URL:
        return "integration tests need REDIS_URL=redis://…"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at {settings.REDIS_URL} does not answer: {exc}"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _services_missing()
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def celery_queue():
    return f"sparring-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def real_broker(celery_queue, transactional_db):
    """Send tasks through Redis to the test's worker instead of running them in-process.

    E-mail is then batched (``sparring.emails.delivery_batched``): a commit queues the
    debounced flush unless the cache says one is queued. A flush an earlier test queued
    (and nobody ran) must not hold this test's back, so its key is removed first.
    """
    from django.core.cache import cache

    from celery_app import app
    from sparring.email_delivery import FLUSH_KEY

    cache.delete(FLUSH_KEY)
    saved = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = celery_queue
    yield app
    app.conf.task_always_eager, app.conf.task_default_queue = saved


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] or ""
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    host = db["HOST"] or "localhost"
    port = db["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


# The reconciliation sweep, sped up for the tests: beat sends it every 2 s and it
# queues again what has been pending for 3 s (a running job: 15 s).
FAST_SWEEP = {
    "SPARRING_SWEEP_INTERVAL": "2",
    "SPARRING_REQUEUE_AFTER": "3",
    "SPARRING_REQUEUE_STARTED_AFTER": "15",
}


def _process_env(queue: str, redis_url: str | None, extra: dict | None) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url or settings.REDIS_URL,
        "CELERY_QUEUE": queue,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "CELERY_RESTORE_INTERVAL": "1",
        "CELERY_RESTORE_THROTTLE": "1",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        **(extra or {}),
    }


class WorkerProcess:
    """One `celery worker` OS process serving the test queue."""

    def __init__(
        self,
        queue: str,
        name: str,
        log_dir: Path,
        *,
        app: str = "celery_app",
        redis_url: str | None = None,
        env: dict | None = None,
    ) -> None:
        self.name = f"{name}@{uuid.uuid4().hex[:6]}"
        self.log_path = log_dir / f"{name}.log"
        env = _process_env(queue, redis_url, env)
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                app,
                "worker",
                "--queues",
                queue,
                "--hostname",
                self.name,
                "--concurrency",
                "1",
                "--pool",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so SIGKILL takes the pool too
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log()}")
            if " ready." in self.log():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool): no chance to ack or clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture
def start_worker(celery_queue, tmp_path):
    workers: list[WorkerProcess] = []

    def start(name: str = "worker", **options) -> WorkerProcess:
        worker = WorkerProcess(celery_queue, f"{name}{len(workers)}", tmp_path, **options)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


class BeatProcess:
    """`celery beat` as an OS process: the only thing that runs the sweep in these tests."""

    def __init__(self, queue: str, log_dir: Path, *, redis_url: str | None, env: dict) -> None:
        self.log_path = log_dir / "beat.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "celery_app",
                "beat",
                "--schedule",
                str(log_dir / "beat-schedule"),
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=_process_env(queue, redis_url, env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture
def start_beat(celery_queue, tmp_path):
    beats: list[BeatProcess] = []

    def start(*, redis_url: str | None = None, env: dict | None = None) -> BeatProcess:
        beat = BeatProcess(celery_queue, tmp_path, redis_url=redis_url, env=env or FAST_SWEEP)
        beats.append(beat)
        return beat

    yield start
    for beat in beats:
        beat.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test only, without persistence: a restart empties it."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        wait_for(lambda: _pings(client), timeout=20, what="the private Redis")

    def stop(self) -> None:
        """Kill it: whatever it held is gone (it keeps nothing on disk)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=1)


def _pings(client) -> bool:
    import redis

    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture
def private_redis(tmp_path):
    """A Redis on a port of its own (not started yet: call ``start()``)."""
    server = PrivateRedis(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def broker_at(real_broker):
    """Point this test process's Celery producer at another broker (e.g. a private Redis)."""
    app = real_broker
    saved = app.conf.broker_url

    def switch(url: str) -> None:
        from sparring import background

        app.conf.broker_url = url
        app._after_fork()  # forget the pooled connections to the old broker
        background._broker_down_until = 0.0  # and that the old one was down

    yield switch
    switch(saved)


def _pg_bin(name: str) -> str:
    import glob
    import shutil

    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else (shutil.which(name) or name)


class PrivatePostgres:
    """A PostgreSQL cluster of this test only (initdb in a temporary directory, its own port),
    holding a copy of the test database's schema; it can be stopped and started at will."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.data = directory / "pgdata"
        self.log = directory / "postgres.log"
        self._as_postgres = os.geteuid() == 0  # initdb and postgres refuse to run as root

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        if self._as_postgres:
            subprocess.run(["chown", "postgres", str(self.directory)], check=True)
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust")
        self.start()

    def start(self) -> None:
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def copy_schema_of(self, settings_dict: dict) -> str:
        """Create a database with the schema of the test database; return its name."""
        name = "sparring_private"
        psql = [_pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q"]
        subprocess.run([*psql, "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
        dump = subprocess.run(
            [
                _pg_bin("pg_dump"),
                "--schema-only",
                "--no-owner",
                "-h",
                settings_dict["HOST"] or "127.0.0.1",
                "-p",
                str(settings_dict["PORT"] or 5432),
                "-U",
                settings_dict["USER"] or "postgres",
                settings_dict["NAME"],
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "PGPASSWORD": settings_dict["PASSWORD"] or ""},
        )
        subprocess.run(
            [*psql, "-d", name, "-v", "ON_ERROR_STOP=1"],
            input=dump.stdout,
            check=True,
            capture_output=True,
        )
        return name


@pytest.fixture
def private_postgres(transactional_db):
    """Run this test (its own ORM and the processes it starts) on a private PostgreSQL
    cluster that the test may restart; the shared server on 5432 is never touched."""
    import shutil
    import tempfile

    # Not under pytest's own temporary directory: user postgres must reach it.
    directory = Path(tempfile.mkdtemp(prefix="sparring-pg-"))
    server = PrivatePostgres(directory)
    server.init()
    saved = dict(connection.settings_dict)
    name = server.copy_schema_of(saved)
    connection.close()
    connection.settings_dict.update(
        HOST="127.0.0.1", PORT=str(server.port), NAME=name, USER="postgres", PASSWORD=""
    )
    try:
        yield server
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
        try:
            server.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def worker(real_broker, start_worker):
    return start_worker()


def wait_for(predicate, timeout: float = 60, interval: float = 0.25, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
