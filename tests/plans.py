"""PostgreSQL's plan of a query, for the tests that prove a list is read from an index
(issue 17)."""

import json

from django.db import connection


def plan_nodes(sql: str, params, *, off: tuple[str, ...] = ("seqscan", "bitmapscan")) -> list[str]:
    """The node types of PostgreSQL's plan of ``sql``, each as ``"Node Type:index name"``,
    with the scans ``off`` turned off (``enable_<name>``; by default sequential and bitmap
    scans: a test database is too small for the planner to prefer an index otherwise).
    Inside the test's transaction (``SET LOCAL``)."""
    with connection.cursor() as cursor:
        for scan in off:
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes = []

    def walk(node):
        nodes.append(node["Node Type"] + ":" + node.get("Index Name", ""))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return nodes
