"""iCalendar invitations for sparring days (made with the icalendar library)."""

from datetime import datetime
from functools import cache

from django.conf import settings
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from sparring import clock
from sparring.workdays import HELSINKI


def day_uid(day) -> str:
    """Stable per day, so a moved or cancelled day updates the same calendar entry."""
    return f"sparring-case-{day.case_id}-day-{day.pk}@sparraus"


def attendees_of(case) -> list[str]:
    """The applicant who filed the case, the contact person and the consultant."""
    addresses = [case.created_by.email, case.contact_email]
    if case.consultant_id:
        addresses.append(case.consultant.user.email)
    seen, result = set(), []
    for address in addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


SUMMARY_WORD = {"fi": "Sparraus", "sv": "Sparrning", "en": "Sparring"}


def summary_of(case) -> str:
    """The event's title in the case's language, with the organisation's name in it
    (Esbo stad for a Swedish case of Espoo)."""
    word = SUMMARY_WORD.get(case.language, SUMMARY_WORD["fi"])
    return f"{word} {case.reference}: {case.organisation.display_name(case.language)}"


def invitation(case, days, *, cancel: bool = False) -> str:
    """An .ics with one event per day: METHOD:REQUEST, or METHOD:CANCEL for cancelled days."""
    calendar = Calendar()
    calendar.add("prodid", "-//Sparraus//sparring case management//FI")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    organiser_email = settings.DEFAULT_FROM_EMAIL.split("<")[-1].rstrip(">")
    for day in days:
        event = Event()
        event.add("uid", day_uid(day))
        event.add("sequence", day.sequence)
        event.add("dtstamp", clock.now())
        event.add("dtstart", datetime.combine(day.date, day.start_time, tzinfo=HELSINKI))
        event.add("dtend", datetime.combine(day.date, day.end_time, tzinfo=HELSINKI))
        event.add("summary", summary_of(case))
        where = day.place or day.remote_link
        if where:
            event.add("location", vText(where))
        description = case.goal[:500]
        if day.remote_link:
            description += f"\n\n{day.remote_link}"
        event.add("description", description)
        event.add("status", "CANCELLED" if cancel else "CONFIRMED")
        organizer = vCalAddress(f"MAILTO:{organiser_email}")
        organizer.params["cn"] = vText(settings.SITE_NAME)
        event["organizer"] = organizer
        for address in attendees_of(case):
            attendee = vCalAddress(f"MAILTO:{address}")
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            attendee.params["rsvp"] = vText("FALSE")
            event.add("attendee", attendee, encode=0)
        calendar.add_component(event)
    # VTIMEZONE for Europe/Helsinki, which RFC 5545 requires beside TZID references
    return ical_text(calendar)


def consultant_feed(consultant, days) -> str:
    """A consultant's days of every case as one published calendar (METHOD:PUBLISH).

    Proposed days are TENTATIVE, confirmed and held days CONFIRMED; each keeps the
    day's UID and sequence, so a subscribed calendar updates the same entries the
    invitations made. ``days`` carry their case (``select_related``).
    """
    calendar = Calendar()
    calendar.add("prodid", "-//Sparraus//sparring case management//FI")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{settings.SITE_NAME}: {consultant}")
    for day in days:
        case = day.case
        event = Event()
        event.add("uid", day_uid(day))
        event.add("sequence", day.sequence)
        event.add("dtstamp", clock.now())
        event.add("dtstart", datetime.combine(day.date, day.start_time, tzinfo=HELSINKI))
        event.add("dtend", datetime.combine(day.date, day.end_time, tzinfo=HELSINKI))
        event.add("summary", summary_of(case))
        where = day.place or day.remote_link
        if where:
            event.add("location", vText(where))
        event.add("status", "TENTATIVE" if day.status == "proposed" else "CONFIRMED")
        event.add("url", f"{settings.SITE_URL.rstrip('/')}/cases/{case.pk}/")
        calendar.add_component(event)
    return ical_text(calendar)


@cache
def _timezone_ical(tzid: str) -> bytes:
    """The serialised VTIMEZONE of ``tzid`` over icalendar's default span (1970-2038),
    made once per process; empty for a zone icalendar does not know."""
    try:
        return Timezone.from_tzid(tzid).to_ical()
    except ValueError:
        return b""


def ical_text(calendar: Calendar) -> str:
    """``calendar`` serialised with the VTIMEZONE of every zone its times name, as
    ``calendar.add_missing_timezones(); calendar.to_ical().decode()`` makes it.

    Each zone's VTIMEZONE (Europe/Helsinki: ~140 transitions) is serialised once per
    process and put where icalendar puts it, first among the components: serialising
    it was most of an invitation's ~5 ms of CPU (issue 17). A calendar that has a
    VTIMEZONE already goes through icalendar's own method. Compared with it in
    ``tests/unit/cases/test_calendar_timezones.py``.
    """
    if calendar.timezones:
        calendar.add_missing_timezones()
        return calendar.to_ical().decode()
    zones = b"".join(_timezone_ical(tzid) for tzid in calendar.get_missing_tzids())
    text = calendar.to_ical()
    if zones:
        first = text.find(b"\r\nBEGIN:")  # folded lines go on with "\r\n " or "\r\n\t"
        at = first + 2 if first >= 0 else text.rindex(b"END:VCALENDAR")
        text = text[:at] + zones + text[at:]
    return text.decode()


def invitation_attachment(case, days, *, cancel: bool = False) -> list[dict[str, str]]:
    filename = f"sparraus-{case.reference}.ics"
    method = "CANCEL" if cancel else "REQUEST"
    return [
        {
            "filename": filename,
            "content": invitation(case, days, cancel=cancel),
            "mimetype": f"text/calendar; method={method}; charset=utf-8",
        }
    ]
