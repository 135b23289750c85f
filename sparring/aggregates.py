"""The hook to the maintained aggregates (``sparring.statistics.aggregates``).

Readers of maintained figures in lower layers (procurement's call-off rule, ledger,
fairness) call ``refresh()`` first, without importing the statistics app: it
registers its refresher when Django starts (``StatisticsConfig.ready``). Without a
registered refresher (the app not installed) ``refresh`` does nothing.

A page or service that reads many figures wraps its reading in ``reading()``: the
queued changes are folded in once, at its first ``refresh``, not before every figure.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_refresher: Callable[[], object] | None = None
_queued: Callable[[], bool] | None = None
_folded: ContextVar[bool | None] = ContextVar("aggregates_folded", default=None)


def register(refresher: Callable[[], object], queued: Callable[[], bool]) -> None:
    """Set the function ``refresh`` calls (it does nothing but one EXISTS when nothing is
    queued) and the one that says whether anything is queued (the statistics app's)."""
    global _refresher, _queued
    _refresher, _queued = refresher, queued


def refresh() -> None:
    """Fold the changes committed so far (and this transaction's own) into the aggregates.

    Inside ``reading()`` only the first call folds in; the later ones do nothing.
    """
    if _refresher is None or _folded.get():
        return
    _refresher()
    if _folded.get() is False:
        _folded.set(True)


def refresh_if_queued() -> None:
    """``refresh`` (kept for the call-off's locked section, which calls it by this name):
    the refresher itself first asks whether anything is queued, one small query."""
    refresh()


@contextmanager
def reading() -> Iterator[None]:
    """A block that reads figures without changing the records they come from: the
    queued changes are folded in at its first ``refresh`` only. Nested blocks are one."""
    if _folded.get() is not None:
        yield
        return
    token = _folded.set(False)
    try:
        yield
    finally:
        _folded.reset(token)
