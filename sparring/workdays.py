"""Working days in Finland: weekdays that are not public holidays."""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

HELSINKI = ZoneInfo("Europe/Helsinki")


@lru_cache(maxsize=16)
def _finnish_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("FI", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _finnish_holidays(day.year)


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment ``days`` working days after ``start``, at the end of that day (16.00 Helsinki).

    A deadline "in 5 working days" given on a Friday evening falls on the
    following Friday afternoon; Midsummer, Christmas and other public
    holidays are skipped.
    """
    day = start.astimezone(HELSINKI).date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return datetime.combine(day, time(16, 0), tzinfo=HELSINKI)
