"""Benchmark: survey answers per second vs a view that inserts one row, 20 participants at once.

Under gunicorn (2 workers), 20 participants answer at once, each with its own
one-time codes (from printed sheets of open surveys), posting the real answer
form; in alternating rounds the same 20 clients post the same number of requests
to a minimal Django view (same middleware) that validates one value and inserts
one row. Afterwards every participant sends its last form again (a connection
that dropped before the thanks page): still one answer. Counts answers thanked
but not stored (lost) and stored twice (duplicated).

Records ``survey_vs_minimal`` (answers/s ours ÷ the baseline's rows/s, medians
over the rounds; target ≥ 0.3), ``survey_lost`` and ``survey_duplicated`` (0).
"""

import os
import statistics
import uuid

from django.core.management.base import BaseCommand

from sparring.demo.bench import flowcases, summary
from sparring.demo.bench import survey as bench
from sparring.demo.bench.server import gunicorn, percentile


class Command(BaseCommand):
    help = "Survey answers per second through gunicorn vs a one-row-insert view."

    def add_arguments(self, parser):
        parser.add_argument("--participants", type=int, default=20)
        parser.add_argument("--answers", type=int, default=10, help="per participant per round")
        parser.add_argument("--rounds", type=int, default=3)
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, **options):
        with flowcases.quiet_mail():
            self.measure(**options)

    def measure(self, *, participants, answers, rounds, workers, **options):
        world = flowcases.world("survey")
        bench.ensure_minimal_table()
        per_round = participants * answers
        # One survey per round: a survey takes at most 300 code checks in 15 minutes.
        opened = [bench.open_survey(world, n, per_round) for n in range(rounds)]
        survey_ids = [survey.pk for survey, _codes in opened]
        run = uuid.uuid4().hex[:8]
        os.environ["BENCH_ROOT_URLCONF"] = "sparring.demo.bench.survey_urls"
        try:
            with gunicorn(workers=workers) as base:
                clients = [bench.csrf_session(base) for _n in range(participants)]
                bench.run_phase(base, clients, self._minimal_jobs(clients, f"warm{run}", 2))
                rates = {"ours": [], "minimal": []}
                seconds = {"ours": [], "minimal": []}
                thanked, refused, minimal_sent = [], {}, []
                for n, (_survey, codes) in enumerate(opened):
                    prefix = f"m{run}-{n}-"
                    wall, sent = bench.run_phase(
                        base, clients, self._minimal_jobs(clients, prefix, answers)
                    )
                    rates["minimal"].append(len(sent.thanked) / wall)
                    seconds["minimal"] += sent.seconds
                    minimal_sent += sent.thanked
                    jobs = self._answer_jobs(clients, codes, f"s{run}-{n}-", answers)
                    wall, sent = bench.run_phase(base, clients, jobs)
                    rates["ours"].append(len(sent.thanked) / wall)
                    seconds["ours"] += sent.seconds
                    thanked += sent.thanked
                    for status, count in sent.refused.items():
                        refused[status] = refused.get(status, 0) + count
                    last_forms = [participant[-1][1] for participant in jobs]
                # The last form of each participant, sent again: thanked, not stored twice.
                _wall, again = bench.run_phase(
                    base, clients, [[("/survey/", form)] for form in last_forms]
                )
        finally:
            os.environ.pop("BENCH_ROOT_URLCONF", None)
        stored = bench.stored_answers(survey_ids, f"s{run}-")
        lost, duplicated = bench.lost_and_duplicated(thanked, stored)
        m_lost, m_dup = bench.lost_and_duplicated(minimal_sent, bench.minimal_stored(f"m{run}-"))
        ours, minimal = statistics.median(rates["ours"]), statistics.median(rates["minimal"])
        ratio = round(ours / minimal, 3)
        self._table(rates, seconds, refused, again, lost, duplicated, per_round)
        self.stdout.write(
            f"survey_vs_minimal: {ratio} (target >= 0.3); lost {lost}, duplicated {duplicated} "
            f"(baseline: lost {m_lost}, duplicated {m_dup})\nload: {summary.machine_load()}"
        )
        summary.record(
            "survey",
            {"survey_vs_minimal": ratio, "survey_lost": lost, "survey_duplicated": duplicated},
            {
                "participants": participants,
                "answers_per_round": per_round,
                "answers_per_s": [round(r, 1) for r in rates["ours"]],
                "minimal_rows_per_s": [round(r, 1) for r in rates["minimal"]],
                "post_p95_ms": round(percentile(seconds["ours"], 0.95) * 1000, 1),
                "minimal_p95_ms": round(percentile(seconds["minimal"], 0.95) * 1000, 1),
                "refused": refused,
                "resent_thanked": len(again.thanked),
                "load": summary.machine_load(),
            },
        )

    def _minimal_jobs(self, clients, prefix: str, count: int):
        return [
            [
                ("/bench/minimal/", {"csrfmiddlewaretoken": token, "value": f"{prefix}{p}-{k}"})
                for k in range(count)
            ]
            for p, (_client, token) in enumerate(clients)
        ]

    def _answer_jobs(self, clients, codes, prefix: str, count: int):
        return [
            [
                (
                    "/survey/",
                    bench.answer_form(token, codes[p * count + k], f"{prefix}{p}-{k}", p + k),
                )
                for k in range(count)
            ]
            for p, (_client, token) in enumerate(clients)
        ]

    def _table(self, rates, seconds, refused, again, lost, duplicated, per_round) -> None:
        self.stdout.write(f"{per_round} requests per round and kind, 20 clients at once")
        self.stdout.write(f"{'round':>5} {'answers/s':>10} {'minimal rows/s':>15} {'ratio':>6}")
        for n, (ours, minimal) in enumerate(zip(rates["ours"], rates["minimal"], strict=True)):
            self.stdout.write(f"{n + 1:>5} {ours:>10.1f} {minimal:>15.1f} {ours / minimal:>6.2f}")
        self.stdout.write(
            f"POST p50/p95: answers {percentile(seconds['ours'], 0.5) * 1000:.0f}/"
            f"{percentile(seconds['ours'], 0.95) * 1000:.0f} ms, minimal "
            f"{percentile(seconds['minimal'], 0.5) * 1000:.0f}/"
            f"{percentile(seconds['minimal'], 0.95) * 1000:.0f} ms; not thanked: {refused or 0}; "
            f"forms sent again: {len(again.thanked)} thanked, {sum(again.refused.values())} not"
        )
