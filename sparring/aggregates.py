"""The hook to the maintained aggregates (``sparring.statistics.aggregates``).

Readers of maintained figures in lower layers (procurement's call-off rule, ledger,
fairness) call ``refresh()`` first, without importing the statistics app: it
registers its refresher when Django starts (``StatisticsConfig.ready``). Without a
registered refresher (the app not installed) ``refresh`` does nothing.

A page or service that reads many figures wraps its reading in ``reading()``: the
queued changes are folded in once, at its first ``refresh``, not before every figure.

The call-off's locked section folds nothing in: ``current_loads`` reads the
consultants' loads as the records stand, the maintained ones plus what the queued
changes move, in one statement.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

_refresher: Callable[[], object] | None = None
_queued: Callable[[], bool] | None = None
_loads: Callable[[Iterable[int]], tuple[dict[int, int], Decimal]] | None = None
_invoicing: Callable | None = None
_folded: ContextVar[bool | None] = ContextVar("aggregates_folded", default=None)


def register(
    refresher: Callable[[], object],
    queued: Callable[[], bool],
    loads: Callable[[Iterable[int]], tuple[dict[int, int], Decimal]] | None = None,
) -> None:
    """Set the function ``refresh`` calls (it does nothing but one EXISTS when nothing is
    queued), the one that says whether anything is queued and the one behind
    ``current_loads`` (the statistics app's)."""
    global _refresher, _queued, _loads
    _refresher, _queued, _loads = refresher, queued, loads


def register_invoicing(reader: Callable) -> None:
    """Set the function behind ``invoicing_total`` (the statistics app's
    ``rollup.invoicing_total``)."""
    global _invoicing
    _invoicing = reader


def invoicing_total(agreement_id: int, month, supplier_id: int | None):
    """(held days, euros) of the invoicing basis of ``month`` (its first day) from the
    maintained per-consultant month totals, after ``refresh`` (the caller folds in), or
    None when no statistics app registered a reader (then count the days live)."""
    if _invoicing is None:
        return None
    return _invoicing(agreement_id, month, supplier_id)


def refresh() -> None:
    """Fold the changes committed so far (and this transaction's own) into the aggregates.

    Inside ``reading()`` only the first call folds in; the later ones do nothing.
    """
    if _refresher is None or _folded.get():
        return
    _refresher()
    if _folded.get() is False:
        _folded.set(True)


def current_loads(consultant_ids: Iterable[int]) -> tuple[dict[int, int], Decimal] | None:
    """The call-off's counters of ``consultant_ids`` as the records stand, without folding in.

    Returns (days each consultant is committed to: assigned cases and open offers; the
    euros of them all: committed, offered and stopped), the definitions of
    ``procurement.ConsultantLoad``, or None when no statistics app registered a reader
    (then read ``ConsultantLoad`` after ``refresh``). One statement: the maintained loads
    plus the difference the queued cases' records make to their folded-in rows
    (``sparring.statistics.aggregates.current_loads``).
    """
    if _loads is None:
        return None
    return _loads(consultant_ids)


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
