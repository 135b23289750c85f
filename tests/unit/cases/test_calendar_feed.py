"""The consultant's personal calendar feed (issue 14, item 6): an iCalendar address with a
secret, revocable token; only the token's hash is stored; the feed lists all their days."""

import hashlib
import re
from datetime import date, time

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from procurement.models import CalendarFeed
from sparring.cases.services import calendar_feed as feeds
from sparring.models import AuditEvent, Case, SessionDay
from tests.conftest import make_consultant

pytestmark = pytest.mark.django_db


def feed_path(response) -> str:
    match = re.search(r'value="https?://[^/"]+(/calendar/[^"]+\.ics)"', response.content.decode())
    assert match, "the new address is shown"
    return match.group(1)


def test_a_consultant_makes_a_link_that_lists_all_their_days(
    submitted_case, consultant, supplier, client_for
):
    other_case = Case.objects.get(pk=submitted_case.pk)
    Case.objects.filter(pk=submitted_case.pk).update(consultant=consultant.consultant)
    for on, status in [
        (date(2027, 3, 30), SessionDay.Status.CONFIRMED),
        (date(2027, 3, 31), SessionDay.Status.PROPOSED),
        (date(2027, 4, 1), SessionDay.Status.HELD),
        (date(2027, 4, 2), SessionDay.Status.CANCELLED),
    ]:
        SessionDay.objects.create(
            case=other_case,
            date=on,
            start_time=time(9),
            end_time=time(12),
            place="Talo",
            status=status,
        )
    someone_else = make_consultant("toinen.konsultti", supplier)
    client = client_for(consultant)
    page = client.post(reverse("sparring:calendar_feed_page"), {"action": "create"})
    assert page.status_code == 200
    path = feed_path(page)
    token = path.removeprefix("/calendar/").removesuffix(".ics")

    # only the hash is kept
    feed = CalendarFeed.objects.get(consultant=consultant.consultant)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(CalendarFeed.objects.values()))
    assert AuditEvent.objects.filter(action="calendar_feed_created").exists()
    assert token not in str(list(AuditEvent.objects.values()))

    response = Client().get(path)  # no login: calendar programs cannot log in
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = [c for c in calendar.walk("VEVENT")]
    assert [(e.decoded("dtstart").date(), str(e["status"])) for e in events] == [
        (date(2027, 3, 30), "CONFIRMED"),
        (date(2027, 3, 31), "TENTATIVE"),
        (date(2027, 4, 1), "CONFIRMED"),
    ]
    assert submitted_case.reference in str(events[0]["summary"])
    # another consultant's link does not show these days
    assert client_for(someone_else).get(reverse("sparring:calendar_feed_page")).status_code == 200


def test_a_new_link_replaces_the_old_and_revoking_ends_it(consultant, client_for):
    client = client_for(consultant)
    first = feed_path(client.post(reverse("sparring:calendar_feed_page"), {"action": "create"}))
    second = feed_path(client.post(reverse("sparring:calendar_feed_page"), {"action": "create"}))
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    page = client.get(reverse("sparring:calendar_feed_page"))
    assert second not in page.content.decode()  # not shown again
    revoked = client.post(reverse("sparring:calendar_feed_page"), {"action": "revoke"})
    assert revoked.status_code == 302
    assert Client().get(second).status_code == 404
    assert not CalendarFeed.objects.exists()
    assert AuditEvent.objects.filter(action="calendar_feed_revoked").count() == 1


def test_a_deactivated_consultants_link_stops_working(consultant, client_for):
    path = feed_path(
        client_for(consultant).post(reverse("sparring:calendar_feed_page"), {"action": "create"})
    )
    consultant.is_active = False
    consultant.save()
    assert Client().get(path).status_code == 404


@pytest.mark.parametrize("token", ["x", "a" * 43, "a" * 500, "%00", "..%2F..%2Fetc"])
def test_unknown_secrets_are_404(token, consultant):
    assert Client().get(f"/calendar/{token}.ics").status_code == 404


def test_the_page_is_for_consultants_only(applicant, coordinator, client_for):
    for user in (applicant, coordinator):
        assert client_for(user).get(reverse("sparring:calendar_feed_page")).status_code == 403
        assert (
            client_for(user)
            .post(reverse("sparring:calendar_feed_page"), {"action": "create"})
            .status_code
            == 403
        )
    assert not CalendarFeed.objects.exists()


def test_the_feed_reads_the_same_queries_for_few_and_many_days(submitted_case, consultant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Case.objects.filter(pk=submitted_case.pk).update(consultant=consultant.consultant)
    token = feeds.calendar_feed_create(actor=consultant)
    SessionDay.objects.create(
        case=submitted_case,
        date=date(2027, 3, 30),
        start_time=time(9),
        end_time=time(12),
        place="A",
    )
    with CaptureQueriesContext(connection) as one:
        assert Client().get(f"/calendar/{token}.ics").status_code == 200
    for day in range(1, 6):
        SessionDay.objects.create(
            case=submitted_case,
            date=date(2027, 4, day),
            start_time=time(9),
            end_time=time(12),
            place="A",
        )
    with CaptureQueriesContext(connection) as six:
        assert Client().get(f"/calendar/{token}.ics").status_code == 200
    assert len(six) == len(one)
