"""make bench's summary: every target of issue 17 is checked, a missing figure is a miss."""

import json

from sparring.demo.bench import summary

ISSUE_17_KEYS = {
    "flow_vs_stock_viewflow",
    "queries_per_case",
    "list_p95_ratio_max",
    "survey_vs_minimal",
    "race_winners",
    "race_p99_vs_single",
    "calloffs_parallel_ratio",
}


def test_every_key_issue_17_names_has_a_target():
    assert ISSUE_17_KEYS <= set(summary.TARGETS)


def test_a_missing_figure_and_a_missed_target_are_both_reported():
    met = {name: bound for name, (_op, bound, _m) in summary.TARGETS.items()}
    assert summary.misses(met) == []
    worse = {**met, "queries_per_case": 333}
    del worse["race_winners"]
    lines = summary.misses(worse)
    assert any(line.startswith("queries_per_case = 333") for line in lines)
    assert any(line.startswith("race_winners: missing") for line in lines)


def test_records_of_several_benchmarks_merge_into_one_file(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    summary.reset(bench_cases=10)
    summary.record("flow", {"queries_per_case": 100}, {"steps": 13})
    summary.record("race", {"race_winners": 1})
    data = json.loads((tmp_path / "bench" / "summary.json").read_text())
    assert data["figures"] == {"queries_per_case": 100, "race_winners": 1}
    assert data["details"] == {"flow": {"steps": 13}}
    assert data["meta"] == {"bench_cases": 10}


def test_a_benchmarks_own_database_sits_beside_the_bench_database(tmp_path):
    from sparring.demo.bench.database import recreate_database, sibling_url

    assert sibling_url("postgres://u@h:5432/x_bench", "_flow") == "postgres://u@h:5432/x_bench_flow"
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    own = sibling_url(url, "_flow")
    assert own == f"sqlite:///{tmp_path / 'bench_flow.sqlite3'}"
    (tmp_path / "bench_flow.sqlite3").write_text("old rows")
    (tmp_path / "bench.sqlite3").write_text("the other benchmarks' rows")
    recreate_database(own)
    assert not (tmp_path / "bench_flow.sqlite3").exists()
    assert (tmp_path / "bench.sqlite3").exists()  # only the benchmark's own
