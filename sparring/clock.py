"""The product's clock: the one ``now()`` and ``today()`` that services, flows and timers read.

Everything that decides by the time of day (deadlines, "no day in the past",
"a call is open") asks this module, so that a caller can run the product at
another moment (the demo replay of 2021-2022, tests) by moving this clock
rather than the process clock. ``travel`` is that seam.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.utils import timezone

_offset = timedelta(0)


def now() -> datetime:
    """The current moment, aware (UTC inside, shown in Europe/Helsinki)."""
    return timezone.now() + _offset


def today() -> date:
    """The current date in Helsinki (``settings.TIME_ZONE``)."""
    return timezone.localdate(now())


@contextmanager
def travel(moment: datetime) -> Iterator[None]:
    """Run the block as if ``now()`` were ``moment`` (time goes on from there).

    Args:
        moment: an aware datetime.

    Raises:
        ValueError: ``moment`` is naive.
    """
    global _offset
    if timezone.is_naive(moment):
        raise ValueError("travel() needs an aware datetime")
    saved = _offset
    _offset = moment - timezone.now()
    try:
        yield
    finally:
        _offset = saved
