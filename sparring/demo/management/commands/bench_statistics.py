"""Benchmark: the statistics page's queries against hand-written SQL, on generated cases.

Generates N cases (100 000 by default) with their days, reports, survey answers
and call-offs on PostgreSQL inside one transaction that is rolled back at the
end, then times the page's figures (``sparring.statistics.statistics``) and a
hand-written SQL computing the same figures, side by side in the same run, and
prints the ratio. It checks that both give the same figures before timing.

The generated rows are inserted directly (bulk inserts): this measures reading
them, not the flow. Run with ``make bench`` (needs DATABASE_URL=postgres://...).
"""

import statistics as stats_module
import time
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from sparring.demo.bench.figures import generate
from sparring.statistics import aggregates
from sparring.statistics import figures as page_statistics

# The same figures as sparring/statistics.py, written by hand as one would in SQL.
SQL = {
    "headline": """
        WITH acc AS (
            SELECT id, organisation_id FROM sparring_case
            WHERE status NOT IN ('draft', 'rejected') AND approved_days IS NOT NULL
        )
        SELECT
            (SELECT count(*) FROM acc),
            (SELECT count(DISTINCT organisation_id) FROM acc),
            (SELECT count(*) FROM sparring_sessionday d JOIN acc ON acc.id = d.case_id
               WHERE d.status = 'held'),
            (SELECT coalesce(sum(r.participants), 0) FROM sparring_report r
               JOIN acc ON acc.id = r.case_id WHERE r.revision >= 1),
            (SELECT avg(a.overall) FROM sparring_surveyanswer a
               JOIN sparring_survey s ON s.id = a.survey_id JOIN acc ON acc.id = s.case_id),
            (SELECT count(*) FROM sparring_surveyanswer a
               JOIN sparring_survey s ON s.id = a.survey_id JOIN acc ON acc.id = s.case_id),
            (SELECT count(*) FROM procurement_supplier p WHERE p.agreement_id IN (
               SELECT o.agreement_id FROM procurement_calloff o JOIN acc ON acc.id = o.case_id)),
            (SELECT count(*) FROM procurement_consultant k
               JOIN procurement_supplier p ON p.id = k.supplier_id WHERE p.agreement_id IN (
               SELECT o.agreement_id FROM procurement_calloff o JOIN acc ON acc.id = o.case_id))
    """,
    "by_sector": """
        SELECT coalesce(s.name_fi, 'Koko organisaatio'), count(*) FROM sparring_case c
        LEFT JOIN sparring_sector s ON s.id = c.sector_id
        WHERE c.status NOT IN ('draft', 'rejected') AND c.approved_days IS NOT NULL
        GROUP BY s.name_fi
    """,
    "by_theme": """
        SELECT t.name_fi, count(*) FROM sparring_case c
        LEFT JOIN sparring_theme t ON t.id = c.theme_id
        WHERE c.status NOT IN ('draft', 'rejected') AND c.approved_days IS NOT NULL
        GROUP BY t.name_fi
    """,
    "lead_times": """
        WITH held AS (
            SELECT case_id, min(date) AS first_day, max(date) AS last_day
            FROM sparring_sessionday WHERE status = 'held' GROUP BY case_id
        )
        SELECT
            extract(epoch FROM avg(c.decided_at - c.submitted_at)) / 86400,
            avg(h.first_day - (c.decided_at AT TIME ZONE 'Europe/Helsinki')::date)
                FILTER (WHERE c.status <> 'rejected' AND c.approved_days IS NOT NULL),
            avg((r.submitted_at AT TIME ZONE 'Europe/Helsinki')::date - h.last_day)
                FILTER (WHERE c.status <> 'rejected' AND c.approved_days IS NOT NULL)
        FROM sparring_case c
        LEFT JOIN held h ON h.case_id = c.id
        LEFT JOIN sparring_report r ON r.case_id = c.id
        WHERE c.status <> 'draft' AND c.decided_at IS NOT NULL
    """,
    "by_supplier": """
        SELECT p.name, count(DISTINCT c.id),
               count(d.id) FILTER (WHERE d.status = 'held')
        FROM sparring_case c
        JOIN procurement_consultant k ON k.id = c.consultant_id
        JOIN procurement_supplier p ON p.id = k.supplier_id
        LEFT JOIN sparring_sessionday d ON d.case_id = c.id
        WHERE c.status NOT IN ('draft', 'rejected') AND c.approved_days IS NOT NULL
        GROUP BY p.name
    """,
    "by_consultant": """
        SELECT u.first_name || ' ' || u.last_name, p.name, count(DISTINCT c.id),
               count(d.id) FILTER (WHERE d.status = 'held')
        FROM sparring_case c
        JOIN procurement_consultant k ON k.id = c.consultant_id
        JOIN sparring_user u ON u.id = k.user_id
        JOIN procurement_supplier p ON p.id = k.supplier_id
        LEFT JOIN sparring_sessionday d ON d.case_id = c.id
        WHERE c.status NOT IN ('draft', 'rejected') AND c.approved_days IS NOT NULL
        GROUP BY u.first_name, u.last_name, p.name
    """,
    "funnel": """
        SELECT count(*),
               count(*) FILTER (WHERE c.approved_days IS NOT NULL),
               count(*) FILTER (WHERE c.consultant_id IS NOT NULL),
               count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM sparring_sessionday d WHERE d.case_id = c.id AND d.status = 'held')),
               count(*) FILTER (WHERE r.revision >= 1),
               count(*) FILTER (WHERE c.status = 'closed')
        FROM sparring_case c LEFT JOIN sparring_report r ON r.case_id = c.id
        WHERE c.status <> 'draft'
    """,
    "statuses": """
        SELECT status, count(*) FROM sparring_case WHERE status <> 'draft' GROUP BY status
    """,
}


def hand_written() -> dict:
    """Run the hand-written SQL and shape its rows like the page's figures."""
    with connection.cursor() as cursor:
        rows = {}
        for key, sql in SQL.items():
            cursor.execute(sql)
            rows[key] = cursor.fetchall()
    accepted, organisations, days, participants, grade, answers, suppliers, consultants = rows[
        "headline"
    ][0]
    lead = rows["lead_times"][0]
    funnel = rows["funnel"][0]
    return {
        "figures": {
            "accepted_applications": accepted,
            "organisations": organisations,
            "days_delivered": days,
            "participants": participants,
            "average_grade": page_statistics._one_decimal(grade),
            "answers": answers,
            "response_rate": page_statistics._one_decimal(Decimal(100 * answers) / participants)
            if participants
            else None,
            "suppliers": suppliers,
            "consultants": consultants,
            "by_sector": dict(rows["by_sector"]),
            "by_theme": dict(rows["by_theme"]),
        },
        "lead_times": {
            "application_to_decision": page_statistics._one_decimal(lead[0]),
            "decision_to_first_day": page_statistics._one_decimal(lead[1]),
            "last_day_to_report": page_statistics._one_decimal(lead[2]),
        },
        "suppliers": {name: (cases, days) for name, cases, days in rows["by_supplier"]},
        "consultants": {
            (name, supplier): (cases, days) for name, supplier, cases, days in rows["by_consultant"]
        },
        "funnel": list(funnel),
        "statuses": dict(rows["statuses"]),
    }


def page() -> dict:
    """The page's figures, shaped for comparison with ``hand_written``."""
    data = page_statistics.statistics()
    figures = dict(data["figures"])
    figures["by_sector"] = dict(figures["by_sector"])
    figures["by_theme"] = dict(figures["by_theme"])
    return {
        "figures": figures,
        "lead_times": data["lead_times"],
        "suppliers": {r["supplier"]: (r["cases"], r["days"]) for r in data["suppliers"]},
        "consultants": {
            (r["consultant"], r["supplier"]): (r["cases"], r["days"]) for r in data["consultants"]
        },
        "funnel": [r["cases"] for r in data["funnel"]],
        "statuses": {r["status"]: r["cases"] for r in data["statuses"]},
    }


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time the statistics page's queries against hand-written SQL on generated cases."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *, cases: int, repeat: int, verbosity: int, **options):
        self.verbosity = verbosity
        if not settings.USES_POSTGRESQL:
            raise CommandError(
                "The statistics benchmark runs on PostgreSQL: set DATABASE_URL=postgres://..."
            )
        try:
            with transaction.atomic():
                started = time.monotonic()
                generate(cases)
                aggregates.rebuild()
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
                self.stdout.write(
                    f"Generated {cases} cases in {time.monotonic() - started:.0f} s "
                    "(rolled back at the end)."
                )
                self._compare_and_time(repeat)
                raise Rollback
        except Rollback:
            pass

    def _compare_and_time(self, repeat: int) -> None:
        ours, theirs = page(), hand_written()
        if ours != theirs:
            for key in ours:
                if ours[key] != theirs[key]:
                    self.stderr.write(f"{key}:\n  page {ours[key]}\n  sql  {theirs[key]}")
            raise CommandError("The page and the hand-written SQL disagree; not timing.")
        self.stdout.write(
            f"Same figures both ways: {ours['figures']['accepted_applications']} accepted, "
            f"{ours['figures']['days_delivered']} days, grade {ours['figures']['average_grade']}."
        )
        page_times, sql_times = [], []
        for _round in range(repeat):  # alternate, so that both see the same cache state
            for run, times in ((page, page_times), (hand_written, sql_times)):
                started = time.perf_counter()
                run()
                times.append(time.perf_counter() - started)
        page_median = stats_module.median(page_times)
        sql_median = stats_module.median(sql_times)
        ratio = page_median / sql_median
        self.stdout.write(
            f"statistics page queries: median {page_median * 1000:.0f} ms over {repeat} runs\n"
            f"hand-written SQL:        median {sql_median * 1000:.0f} ms over {repeat} runs\n"
            f"ratio page / SQL: {ratio:.2f}× (target ≤ 1.5×)"
        )
        if ratio > 1.5:
            self.stderr.write(self.style.WARNING("Slower than the target."))
        if self.verbosity > 1:
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as queries:
                page()
            for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"])):
                self.stdout.write(f"{float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")
