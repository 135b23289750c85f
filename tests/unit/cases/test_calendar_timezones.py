"""The cached VTIMEZONE (``calendar.add_missing_timezones``) gives the same .ics as
icalendar's own ``Calendar.add_missing_timezones`` (issue 17)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from sparring.cases.calendar import add_missing_timezones


def _calendar(zones: list[str]) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//test//FI")
    calendar.add("version", "2.0")
    for n, zone in enumerate(zones):
        event = Event()
        event.add("uid", f"e{n}")
        event.add("dtstart", datetime(2027, 3, 28, 2, 30, tzinfo=ZoneInfo(zone)))
        event.add("dtend", datetime(2027, 10, 31, 3, 30, tzinfo=ZoneInfo(zone)))
        calendar.add_component(event)
    return calendar


def test_cached_timezones_make_the_same_calendar():
    for zones in (
        ["Europe/Helsinki"],
        ["Europe/Helsinki", "Europe/Helsinki"],
        ["Europe/Stockholm", "Europe/Helsinki"],
        ["UTC"],
        [],
    ):
        for _twice in range(2):  # the second time from the cache
            ours, reference = _calendar(zones), _calendar(zones)
            add_missing_timezones(ours)
            reference.add_missing_timezones()
            assert ours.to_ical() == reference.to_ical()
            assert not ours.get_missing_tzids()
