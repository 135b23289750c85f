"""A test's view of PostgreSQL's lock queue: wait until another connection waits for a lock,
so that a race test knows its second thread is blocked before it lets the first go on."""

import time

from django.db import connections


def wait_until_someone_waits_for_a_lock(timeout: float = 20.0, statement: str = "") -> None:
    """Poll, on a connection of its own, until another backend of this database waits for
    a lock (in a statement starting with ``statement``, when given).

    Args:
        timeout: seconds to wait at most.
        statement: the beginning of the waiting statement's SQL ("" for any).

    Raises:
        AssertionError: no backend waited for a lock within ``timeout``.
    """
    probe = connections.create_connection("default")
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with probe.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE %s",
                    [statement.replace("%", "%%") + "%"],
                )
                if cursor.fetchone()[0]:
                    return
            time.sleep(0.02)
        raise AssertionError("no one waited for the lock")
    finally:
        probe.close()
