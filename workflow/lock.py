"""The lock every flow of the product uses.

viewflow's default is no lock at all. On PostgreSQL the process row is locked
with ``SELECT ... FOR UPDATE``; elsewhere (SQLite, the embedded default) a
cache lock is used, which is Redis when REDIS_URL is set.
"""

from django.conf import settings
from viewflow.workflow.lock import CacheLock, SelectForUpdateLock


def product_lock():
    """Return the lock implementation for the configured database."""
    if settings.USES_POSTGRESQL:
        # Wait for the row instead of failing at once: a coordinator's click and
        # a worker's completion may meet on the same case.
        return SelectForUpdateLock(nowait=False, attempts=1)
    return CacheLock(attempts=10, expires=300)


flow_lock = product_lock()
