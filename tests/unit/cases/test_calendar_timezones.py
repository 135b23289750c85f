"""``calendar.ical_text`` (each zone's VTIMEZONE serialised once per process) gives the
same .ics as icalendar's own ``add_missing_timezones`` then ``to_ical`` (issue 17)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from sparring.cases.calendar import ical_text


def _calendar(zones: list[str], *, with_timezone: bool = False) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//test//FI")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Pitkä nimi " * 12)  # a folded line before the components
    if with_timezone:
        calendar.add_component(Timezone.from_tzid("Europe/Stockholm"))
    for n, zone in enumerate(zones):
        event = Event()
        event.add("uid", f"e{n}")
        event.add("description", "rivi\nBEGIN:VEVENT toinen")  # escaped, not a component
        event.add("dtstart", datetime(2027, 3, 28, 2, 30, tzinfo=ZoneInfo(zone)))
        event.add("dtend", datetime(2027, 10, 31, 3, 30, tzinfo=ZoneInfo(zone)))
        calendar.add_component(event)
    return calendar


def test_ical_text_is_what_icalendar_makes():
    for zones, with_timezone in (
        (["Europe/Helsinki"], False),
        (["Europe/Helsinki", "Europe/Helsinki"], False),
        (["Europe/Stockholm", "Europe/Helsinki"], False),
        (["Europe/Helsinki"], True),
        (["UTC"], False),
        ([], False),
    ):
        for _twice in range(2):  # the second time from the cache
            reference = _calendar(zones, with_timezone=with_timezone)
            reference.add_missing_timezones()
            expected = reference.to_ical().decode()
            assert ical_text(_calendar(zones, with_timezone=with_timezone)) == expected
            assert ("BEGIN:VTIMEZONE" in expected) == bool(set(zones) - {"UTC"} or with_timezone)
