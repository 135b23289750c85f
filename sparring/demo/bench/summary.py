"""The figures of one ``make bench`` run and the targets they must meet (issue 17).

Each benchmark command records its figures with :func:`record`; the ``bench``
command starts a run with :func:`reset`, runs every benchmark and ends with
:func:`misses`, failing when a target is missed or a figure is missing. The
file is ``var/bench/summary.json``: a flat ``figures`` dict (the keys issue 17
names, ratios as plain numbers) and a ``details`` dict per benchmark (tables,
medians, the machine's load) for the closing note.
"""

import fcntl
import json
import operator
import os
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings

#: figure -> (comparison, bound, what it means). Ratios are "ours / baseline" in one run.
TARGETS: dict[str, tuple[str, float, str]] = {
    "flow_vs_stock_viewflow": ("<=", 1.0, "per case, the real flow vs stock viewflow"),
    "queries_per_case": ("<=", 120, "SQL queries of one case from draft to closed"),
    "list_p95_ratio_max": ("<=", 1.5, "worst list page: p95 at BENCH_CASES vs at 10 cases"),
    "list_server_errors": ("==", 0, "responses >= 500 while measuring the list pages"),
    "survey_vs_minimal": (">=", 0.3, "survey answers/s vs a one-row-insert view"),
    "survey_lost": ("==", 0, "survey answers sent but not stored"),
    "survey_duplicated": ("==", 0, "survey answers stored twice"),
    "race_winners": ("==", 1, "32 concurrent completions of one task: how many won"),
    "race_server_errors": ("==", 0, "responses >= 500 among the 32"),
    "race_p99_vs_single": ("<=", 2.0, "p99 of the 32 vs one completion alone"),
    "calloffs_parallel_ratio": ("<=", 2.0, "eight call-offs of different cases at once vs one"),
    "aggregates_equal_live": ("==", 1, "1 when every maintained aggregate equals the live SQL"),
}

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
}


def summary_path() -> Path:
    """``var/bench/summary.json`` (under ``SPARRING_VAR_DIR``); the folder is created."""
    folder = Path(settings.VAR_DIR) / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "summary.json"


@contextmanager
def _locked():
    path = summary_path()
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text()) if path.exists() else {}
        data.setdefault("figures", {})
        data.setdefault("details", {})
        yield data
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str))
        os.replace(tmp, path)


def reset(**meta: Any) -> None:
    """Start a new run: empty the figures and keep ``meta`` (machine, load, sizes)."""
    with _locked() as data:
        data.clear()
        data.update({"figures": {}, "details": {}, "meta": meta})


def record(benchmark: str, figures: dict[str, float], details: dict[str, Any] | None = None):
    """Merge ``figures`` (flat, numbers) and ``details`` (anything JSON) of ``benchmark``.

    Args:
        benchmark: the command's short name (``flow``, ``lists``, ``survey``...).
        figures: figure name -> number; names of :data:`TARGETS` are checked.
        details: the tables behind the figures, kept under ``details[benchmark]``.
    """
    with _locked() as data:
        data["figures"].update(figures)
        if details is not None:
            data["details"][benchmark] = details


def note_meta(**meta: Any) -> None:
    """Add ``meta`` (load at the end, sizes) to the run's description."""
    with _locked() as data:
        data.setdefault("meta", {}).update(meta)


def load() -> dict[str, Any]:
    """The whole summary as recorded so far."""
    with _locked() as data:
        return json.loads(json.dumps(data))


def misses(figures: dict[str, Any]) -> list[str]:
    """One line per target missed or figure missing; empty when every target is met."""
    lines = []
    for name, (op, bound, meaning) in TARGETS.items():
        if name not in figures or figures[name] is None:
            lines.append(f"{name}: missing ({meaning})")
        elif not _COMPARE[op](figures[name], bound):
            lines.append(f"{name} = {figures[name]} (target {op} {bound}: {meaning})")
    return lines


def machine_load() -> dict[str, float]:
    """The 1/5/15-minute load averages and the number of cores, for the note."""
    one, five, fifteen = os.getloadavg()
    return {"load_1": one, "load_5": five, "load_15": fifteen, "cores": os.cpu_count() or 0}
