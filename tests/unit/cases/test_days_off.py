"""Weekends and Finnish holidays as sparring days ask for confirmation, naming the holiday; the
case page shows each date with its weekday (issue 18, item 6)."""

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sparring.cases import services
from sparring.models import Call, SessionDay
from sparring.workdays import day_label, day_off_reason
from tests.unit.cases.test_case_flow import approve, fresh, offer_to, walk_to_delivery

pytestmark = pytest.mark.django_db

CHRISTMAS_EVE = date(2026, 12, 24)  # Thursday: the field report
EASTER_MONDAY = date(2027, 3, 29)  # the field report
EPIPHANY = date(2027, 1, 6)  # a Wednesday holiday
MIDSUMMER_EVE = date(2027, 6, 25)  # a Friday, a day off in practice
SATURDAY = date(2026, 12, 5)
INDEPENDENCE_DAY = date(2026, 12, 6)  # a Sunday: the holiday's name wins
WORKING = date(2027, 3, 30)  # the Tuesday after Easter


@pytest.mark.parametrize(
    ("day", "fi", "sv"),
    [
        (CHRISTMAS_EVE, "Jouluaatto", "Julafton"),
        (EASTER_MONDAY, "Toinen pääsiäispäivä", "Annandag påsk"),
        (EPIPHANY, "Loppiainen", "Trettondag"),
        (MIDSUMMER_EVE, "Juhannusaatto", "Midsommarafton"),
        (SATURDAY, "lauantai", "lördag"),
        (INDEPENDENCE_DAY, "Itsenäisyyspäivä", "Självständighetsdagen"),
        (WORKING, None, None),
    ],
)
def test_a_day_off_is_named_in_the_readers_language(day, fi, sv):
    with translation.override("fi"):
        assert day_off_reason(day) == fi
    with translation.override("sv"):
        assert day_off_reason(day) == sv


def test_a_date_is_shown_with_its_weekday():
    with translation.override("fi"):
        assert day_label(CHRISTMAS_EVE) == "torstai 24.12.2026 (Jouluaatto)"
        assert day_label(WORKING) == "tiistai 30.3.2027"
    with translation.override("sv"):
        assert day_label(EASTER_MONDAY) == "måndag 29.3.2027 (Annandag påsk)"
    with translation.override("en"):
        assert day_label(SATURDAY) == "Saturday 5.12.2026"


@pytest.fixture
def scheduling_case(submitted_case, coordinator, consultant):
    Call.objects.filter(pk=submitted_case.call_id).update(
        delivery_starts=date(2026, 1, 1), delivery_ends=date(2027, 12, 31)
    )
    approve(submitted_case, coordinator)
    offer = offer_to(submitted_case, coordinator, consultant)
    services.offer_answer(actor=consultant, offer=offer, accept=True)
    return fresh(submitted_case)


def day(on: date, **extra) -> dict:
    return {"date": on, "start_time": time(9), "end_time": time(15), "place": "Talo", **extra}


@pytest.mark.parametrize(
    ("off", "named"),
    [
        (EASTER_MONDAY, "Toinen pääsiäispäivä"),
        (CHRISTMAS_EVE, "Jouluaatto"),
        (EPIPHANY, "Loppiainen"),
        (SATURDAY, "lauantai"),
    ],
)
def test_proposing_a_day_off_needs_a_confirmation(scheduling_case, consultant, off, named):
    case = scheduling_case
    with pytest.raises(ValidationError) as error:
        services.schedule_propose(
            actor=consultant, case=case, days=[day(off), day(WORKING)], version=case.version
        )
    assert any(named in message for message in error.value.messages)
    assert not case.days_planned.exists()
    services.schedule_propose(
        actor=consultant,
        case=case,
        days=[day(off, non_working_confirmed=True), day(WORKING)],
        version=case.version,
    )
    assert set(case.days_planned.values_list("date", flat=True)) == {off, WORKING}


def test_moving_or_adding_a_day_to_a_holiday_needs_a_confirmation(
    submitted_case, coordinator, consultant, applicant
):
    Call.objects.filter(pk=submitted_case.call_id).update(delivery_ends=date(2027, 12, 31))
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    _first, second = case.days_planned.order_by("date")
    with pytest.raises(ValidationError, match="Toinen pääsiäispäivä"):
        services.session_day_reschedule(
            actor=consultant, day=second, data=day(EASTER_MONDAY), reason="Sairastuminen"
        )
    services.session_day_reschedule(
        actor=consultant,
        day=second,
        data=day(EASTER_MONDAY, non_working_confirmed=True),
        reason="Sairastuminen",
    )
    second.refresh_from_db()
    assert second.date == EASTER_MONDAY
    services.session_day_cancel(actor=consultant, day=second, reason="Peruttu")
    with pytest.raises(ValidationError, match="Juhannusaatto"):
        services.session_day_add(actor=consultant, case=fresh(case), data=day(MIDSUMMER_EVE))
    services.session_day_add(
        actor=consultant, case=fresh(case), data=day(MIDSUMMER_EVE, non_working_confirmed=True)
    )


def test_the_schedule_page_asks_for_the_confirmation_naming_the_holiday(
    scheduling_case, consultant, client_for
):
    case = scheduling_case
    client = client_for(consultant)
    data = {"version": case.version}
    for n, on in ((1, CHRISTMAS_EVE), (2, WORKING)):
        data |= {
            f"day{n}-date": on.isoformat(),
            f"day{n}-start_time": "09:00",
            f"day{n}-end_time": "15:00",
            f"day{n}-place": "Talo",
        }
    page = client.post(f"/cases/{case.pk}/schedule/", data)
    html = page.content.decode()
    assert page.status_code == 400
    assert "Jouluaatto" in html and 'name="day1-non_working_confirmed"' in html
    assert 'name="day2-non_working_confirmed"' not in html  # a working day asks nothing
    assert not case.days_planned.exists()
    page = client.post(f"/cases/{case.pk}/schedule/", data | {"day1-non_working_confirmed": "on"})
    assert page.status_code == 302
    assert case.days_planned.filter(date=CHRISTMAS_EVE).exists()


def test_the_day_pages_ask_for_the_confirmation(
    submitted_case, coordinator, consultant, applicant, client_for
):
    Call.objects.filter(pk=submitted_case.call_id).update(delivery_ends=date(2027, 12, 31))
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    _first, second = case.days_planned.order_by("date")
    client = client_for(consultant)
    move = {
        "intent": "move",
        "date": EASTER_MONDAY.isoformat(),
        "start_time": "09:00",
        "end_time": "15:00",
        "place": "Talo",
        "reason": "Sairastuminen",
    }
    page = client.post(f"/days/{second.pk}/change/", move)
    assert page.status_code == 400 and "Toinen pääsiäispäivä" in page.content.decode()
    assert 'name="non_working_confirmed"' in page.content.decode()
    page = client.post(f"/days/{second.pk}/change/", move | {"non_working_confirmed": "on"})
    assert page.status_code == 302
    second.refresh_from_db()
    assert second.date == EASTER_MONDAY


def test_the_case_page_shows_each_date_with_its_weekday_in_the_pages_language(
    submitted_case, coordinator, consultant, applicant, client_for
):
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    first, second = case.days_planned.order_by("date")
    SessionDay.objects.filter(pk=first.pk).update(date=CHRISTMAS_EVE)
    SessionDay.objects.filter(pk=second.pk).update(date=WORKING)
    client = client_for(applicant)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "torstai 24.12.2026 (Jouluaatto)" in html and "tiistai 30.3.2027" in html
    client.cookies["sparring_language"] = "sv"
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "torsdag 24.12.2026 (Julafton)" in html and "tisdag 30.3.2027" in html
