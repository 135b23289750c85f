"""The product's clock: the one ``now()`` and ``today()`` that services, flows and timers read.

Everything that decides by the time (deadlines, "no day in the past", "a call
is open", the timer sweep) and every timestamp the product stores asks this
module, so that the product can run at another moment by moving this clock
rather than the process clock: the demo replay of 2021-2022 does, and so do
tests. ``travel`` is that seam; outside it, ``now()`` is ``timezone.now()``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone


@dataclass
class _Setting:
    offset: timedelta = timedelta(0)
    frozen: datetime | None = None


_setting = _Setting()


def now() -> datetime:
    """The current moment, aware (stored in UTC, shown in Europe/Helsinki)."""
    if _setting.frozen is not None:
        return _setting.frozen
    return timezone.now() + _setting.offset


def today() -> date:
    """The current date in Helsinki (``settings.TIME_ZONE``)."""
    return timezone.localdate(now())


class Traveller:
    """Moves the clock while a ``travel`` block runs."""

    def __init__(self, tick: bool) -> None:
        self.tick = tick

    def move_to(self, moment: datetime) -> None:
        """Make ``moment`` the current time (frozen there unless the traveller ticks).

        Raises:
            ValueError: ``moment`` is naive.
        """
        if timezone.is_naive(moment):
            raise ValueError("the clock needs an aware datetime")
        if self.tick:
            _setting.offset, _setting.frozen = moment - timezone.now(), None
        else:
            _setting.offset, _setting.frozen = timedelta(0), moment


@contextmanager
def travel(moment: datetime, *, tick: bool = True) -> Iterator[Traveller]:
    """Run the block as if ``now()`` were ``moment``; the clock is restored afterwards.

    Args:
        moment: an aware datetime.
        tick: whether time goes on from ``moment`` (True) or stands still there.

    Raises:
        ValueError: ``moment`` is naive.
    """
    saved = (_setting.offset, _setting.frozen)
    traveller = Traveller(tick)
    try:
        traveller.move_to(moment)
        yield traveller
    finally:
        _setting.offset, _setting.frozen = saved
