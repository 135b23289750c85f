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
    """Send tasks through Redis to the test's worker instead of running them in-process."""
    from celery_app import app

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


class WorkerProcess:
    """One `celery worker` OS process serving the test queue."""

    def __init__(self, queue: str, name: str, log_dir: Path) -> None:
        self.name = f"{name}@{uuid.uuid4().hex[:6]}"
        self.log_path = log_dir / f"{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_QUEUE": queue,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CELERY_RESTORE_INTERVAL": "1",
            "CELERY_RESTORE_THROTTLE": "1",
            "CELERY_TASK_ALWAYS_EAGER": "0",
        }
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "celery_app",
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

    def start(name: str = "worker") -> WorkerProcess:
        worker = WorkerProcess(celery_queue, f"{name}{len(workers)}", tmp_path)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


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
