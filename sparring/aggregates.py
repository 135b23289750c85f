"""The hook to the maintained aggregates (``sparring.statistics.aggregates``).

Readers of maintained figures in lower layers (procurement's call-off rule, ledger,
fairness) call ``refresh()`` first, without importing the statistics app: it
registers its refresher when Django starts (``StatisticsConfig.ready``). Without a
registered refresher (the app not installed) ``refresh`` does nothing.
"""

from collections.abc import Callable

_refresher: Callable[[], object] | None = None


def register(refresher: Callable[[], object]) -> None:
    """Set the function ``refresh`` calls (one, the statistics app's)."""
    global _refresher
    _refresher = refresher


def refresh() -> None:
    """Fold the changes committed so far (and this transaction's own) into the aggregates."""
    if _refresher is not None:
        _refresher()
