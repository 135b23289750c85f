"""Working days in Finland: weekdays that are not public holidays.

The holidays come from the ``holidays`` package's Finnish calendar: the public
holidays, with Midsummer Eve and Christmas Eve, which are days off in practice.
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.utils import formats, translation

HELSINKI = ZoneInfo("Europe/Helsinki")
# the product's languages in the names of the holidays package
HOLIDAY_LANGUAGES = {"fi": "fi", "sv": "sv_FI", "en": "en_US"}


@lru_cache(maxsize=32)
def _finnish_holidays(year: int, language: str = "en_US") -> holidays.HolidayBase:
    return holidays.country_holidays("FI", years=year, language=language)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _finnish_holidays(day.year)


def holiday_name(day: date, language: str | None = None) -> str | None:
    """The name of the Finnish holiday on ``day`` (None on other days).

    Args:
        day: the date.
        language: fi, sv or en; by default the active language.
    """
    language = (language or translation.get_language() or "fi")[:2]
    names = _finnish_holidays(day.year, HOLIDAY_LANGUAGES.get(language, "en_US"))
    return names.get(day)


def day_label(day: date) -> str:
    """``day`` with its weekday, and the holiday's name on a holiday, in the active language:
    "torstai 24.12.2026 (Jouluaatto)", "Monday 29.3.2027 (Easter Monday)"."""
    text = f"{formats.date_format(day, 'l')} {formats.date_format(day, 'SHORT_DATE_FORMAT')}"
    holiday = holiday_name(day)
    return f"{text} ({holiday})" if holiday else text


def day_off_reason(day: date) -> str | None:
    """Why ``day`` is not a working day, in the active language: the holiday's name, or
    the weekday ("lauantai", "söndag") of a weekend. None on a working day."""
    return holiday_name(day) or (formats.date_format(day, "l") if day.weekday() >= 5 else None)


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
