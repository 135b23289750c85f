"""The background work page's lists read an index in their own order (issue 17)."""

import pytest
from django.db import connection

from tests.plans import plan_nodes
from workflow import selectors

pytestmark = pytest.mark.django_db


def test_the_pending_jobs_page_is_read_from_an_index_in_its_order_not_sorted():
    """``pending_jobs`` is ordered by when a job was queued or started
    (``COALESCE(started, created)``, then id). The index of 0021 held ``created`` only, so
    PostgreSQL sorted every pending job for a page of 100: at 100 000 cases, with none
    pending, it still planned a parallel sort for the thousand it guessed and spent 15 ms
    starting a worker (the /jobs/ page, 2.7x its time at 10 cases under load). An index in
    the page's order (migration 0029) reads the first 100 and stops."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner")
    sql, params = selectors.pending_jobs()[:100].query.sql_with_params()
    nodes = plan_nodes(sql, params)
    assert not any(node.startswith(("Sort", "Incremental Sort")) for node in nodes), nodes
    assert any("task_pending_jobs_since" in node for node in nodes), nodes
