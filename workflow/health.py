"""The health endpoint for load balancers and monitoring.

``GET /health/`` answers JSON with one entry per check and status 200 when
every required check passes, 503 (with ``Retry-After``) otherwise:

* ``database``: a query answers;
* ``cache``: a value can be written and read back (Redis in services mode);
* ``broker``: the Celery broker accepts a connection (services mode);
* ``worker``: a worker ran the heartbeat task beat sends every 30 s, less than
  ``WORKER_STALE`` ago (services mode);
* ``beat``: Celery beat's scheduler wrote its heartbeat less than
  ``BEAT_STALE`` ago (services mode);
* ``background``: counts of failed jobs and of work waiting longer than
  ``SPARRING_STUCK_AFTER``; informational ("warning" when any), never a 503,
  so that a failed PDF does not take the web out of the load balancer.

In the embedded default (no REDIS_URL) tasks run in the web process and there
is no broker, worker or beat: those checks say "not used". ``GET /health/live/``
answers 200 whenever the process serves requests (a liveness probe).
Each check is bounded by short timeouts (database 3 s, Redis 1-2 s).
"""

import logging
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from . import heartbeat, selectors

logger = logging.getLogger(__name__)

WORKER_STALE = timedelta(seconds=120)  # four missed heartbeats (beat sends one every 30 s)
BEAT_STALE = timedelta(seconds=120)  # beat writes one every 30 s


class CheckFailed(Exception):
    """A check's own verdict (the message is shown)."""


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    value = cache.get(key)
    cache.delete(key)
    if value != "1":
        raise CheckFailed("the cache did not keep a value")
    return "ok"


def _services_mode() -> bool:
    return bool(settings.REDIS_URL)


def check_broker() -> str:
    if not _services_mode():
        return "not used"
    from celery_app import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    return "ok"


def _fresh(name: str, stale: timedelta) -> str:
    if not _services_mode():
        return "not used"
    seen = heartbeat.last_beats().get(name)
    if seen is None:
        raise CheckFailed("never seen")
    age = timezone.now() - seen
    if age > stale:
        raise CheckFailed(f"last seen {int(age.total_seconds())} s ago")
    return "ok"


def check_worker() -> str:
    return _fresh(heartbeat.WORKER, WORKER_STALE)


def check_beat() -> str:
    return _fresh(heartbeat.BEAT, BEAT_STALE)


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "worker": check_worker,
    "beat": check_beat,
}


def run_checks() -> tuple[bool, dict]:
    """Run every check; returns (all required passed, {name: {status, detail?, ms}})."""
    results: dict[str, dict] = {}
    healthy = True
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            outcome = {"status": check()}
        except Exception as exc:  # each check reports, none stops the others
            healthy = False
            outcome = {"status": "failing", "detail": str(exc)[:200] or type(exc).__name__}
            logger.warning("Health check %s failing: %s", name, exc)
        outcome["ms"] = round((time.monotonic() - started) * 1000)
        results[name] = outcome
    try:
        summary = selectors.background_summary()
        results["background"] = {
            "status": "warning" if summary.total else "ok",
            **summary.as_dict(),
        }
    except Exception as exc:
        results["background"] = {"status": "unknown", "detail": str(exc)[:200]}
    return healthy, results


@never_cache
@login_not_required
def health(request: HttpRequest) -> JsonResponse:
    """Every check as JSON: 200 if all required ones pass, else 503 with Retry-After."""
    healthy, results = run_checks()
    response = JsonResponse(
        {"status": "ok" if healthy else "failing", "checks": results},
        status=200 if healthy else 503,
    )
    if not healthy:
        response["Retry-After"] = "30"
    return response


@never_cache
@login_not_required
def live(request: HttpRequest) -> JsonResponse:
    """The process serves requests (no dependency is checked)."""
    return JsonResponse({"status": "ok"})
