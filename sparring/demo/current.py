"""The demo's present day: an open call, a request for access and cases that wait for someone.

``seed_demo`` calls these after the logins exist, so that every demo login lands
on a home with something to do: the applicants see an open call, the coordinator
a request for access and an application in the queue, each consultant an offer
to answer. Everything goes through the services and is made only when missing.
"""

import logging
from contextlib import contextmanager
from datetime import timedelta

from django.db import transaction

from procurement.models import FrameworkAgreement
from sparring import clock
from sparring.accounts.models import AccessRequest
from sparring.accounts.services import access_request_submit
from sparring.cases import selectors, services, steps
from sparring.models import Call, Case, Organisation, Sector, Theme, User

from . import data as demo


@contextmanager
def quiet_logs(names=("celery", "kombu")):
    """Keep the in-process background tasks' one line per task out of ``make run``'s output."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def current_call_fields(agreement: FrameworkAgreement | None) -> dict:
    """Title and description in fi/sv/en and the times of a call open from a week ago."""
    now = clock.now()
    today = clock.today()
    year = today.year
    return {
        "title": f"Sparrausten haku {year}–{year + 1}",
        "title_sv": f"Ansökan om sparrning {year}–{year + 1}",
        "title_en": f"Call for sparring {year}–{year + 1}",
        "description": (
            "Kuntaorganisaatiot ja hyvinvointialueet voivat hakea maksutonta 1–2 päivän "
            "sparrausta työyhteisön kehittämistarpeeseen."
        ),
        "description_sv": (
            "Kommunala organisationer och välfärdsområden kan ansöka om 1–2 dagars "
            "avgiftsfri sparrning för att utveckla sin arbetsgemenskap."
        ),
        "description_en": (
            "Municipal organisations and wellbeing services counties can apply for 1–2 days "
            "of free sparring to develop their work community."
        ),
        "opens_at": now - timedelta(days=7),
        "closes_at": now + timedelta(days=120),
        "delivery_starts": today,
        "delivery_ends": today + timedelta(days=365),
        "day_budget": 130,
        "agreement": agreement,
    }


@transaction.atomic
def ensure_open_call(agreement: FrameworkAgreement | None) -> Call:
    """An open call for applications: the first one open now, or a new one.

    ``seed_programme`` leaves its 2021–2022 call closed, so after it (or after the
    demo call closed) a new one is made; one already open is left as it is.
    """
    call = selectors.open_calls().first()
    if call is not None:
        return call
    fields = current_call_fields(agreement)
    call = Call(**fields)
    call.full_clean()
    call.save()
    call.themes.set(Theme.objects.filter(active=True))
    return call


# A made-up Business ID (checksum-valid): the demo's request for access.
DEMO_REQUEST = {
    "business_id": demo.business_id(300),
    "name_fi": "Raaseporin kaupunki",
    "name_sv": "Raseborgs stad",
    "kind": Organisation.Kind.MUNICIPALITY,
    "region": "01",
    "first_name": "Rasmus",
    "last_name": "Rask",
    "title": "HR-chef",
    "email": "rasmus.rask@example.invalid",
    "language": "sv",
}


def ensure_access_request() -> None:
    """A request for access waiting for the coordinator (Raseborg, in Swedish)."""
    business_id = DEMO_REQUEST["business_id"]
    if (
        AccessRequest.objects.filter(business_id=business_id).exists()
        or Organisation.objects.filter(business_id=business_id).exists()
    ):
        return
    access_request_submit(**DEMO_REQUEST)


# marker (contact e-mail), organisation's Business ID, language, days, where it stops
DEMO_CASES = [
    ("demo-jono@example.invalid", "0101263-6", "sv", 2, "submitted"),
    ("demo-tarjous@example.invalid", "0211675-2", "fi", 2, "offered"),
    ("demo-erbjudande@example.invalid", "0101263-6", "sv", 1, "offered"),
]


def ensure_demo_cases(call: Call) -> None:
    """Cases that wait for the coordinator (review) and for each consultant (an offer).

    A case is made only when its marker is missing; one the user has moved on is
    left alone.
    """
    coordinator = User.objects.filter(username="koordinaattori").first()
    theme = Theme.objects.filter(code="work-community").first() or Theme.objects.first()
    sector = Sector.objects.filter(active=True).first()
    for marker, business_id, language, days, stop in DEMO_CASES:
        if Case.objects.filter(contact_email=marker).exists():
            continue
        applicant = User.objects.filter(
            role=User.Role.APPLICANT, organisation__business_id=business_id, is_active=True
        ).first()
        if applicant is None or coordinator is None:
            continue
        case = services.case_create(
            actor=applicant, call=call, data=_application(marker, language, days, theme, sector)
        )
        steps.perform("submit", applicant, case, {"version": case.version})
        if stop == "submitted":
            continue
        case.refresh_from_db()
        steps.perform(
            "decide",
            coordinator,
            case,
            {
                "decision": services.Decision.APPROVE,
                "comment": "",
                "approved_days": days,
                "version": case.version,
            },
        )
        case.refresh_from_db()
        steps.perform(
            "call_off",
            coordinator,
            case,
            {"consultant": None, "justification": "", "version": case.version},
        )


def _application(marker: str, language: str, days: int, theme: Theme, sector) -> dict:
    swedish = language == "sv"
    return {
        "unit": "Bildningssektorn" if swedish else "Sosiaali- ja terveyspalvelut",
        "whole_organisation": sector is None,
        "sector": sector,
        "theme": theme,
        "development_need": (
            "Arbetsgemenskapen behöver gemensamma spelregler efter omorganisationen."
            if swedish
            else "Työyhteisö tarvitsee yhteiset pelisäännöt organisaatiomuutoksen jälkeen."
        ),
        "goal": (
            "Överenskomna spelregler och en plan för uppföljning."
            if swedish
            else "Sovitut pelisäännöt ja seurantasuunnitelma."
        ),
        "target_group": "Personalen och cheferna" if swedish else "Henkilöstö ja esihenkilöt",
        "estimated_participants": 24,
        "requested_days": days,
        "preferred_period": "",
        "language": language,
        "contact_name": "Demo",
        "contact_email": marker,
        "contact_phone": "",
        "staff_representative": "Förtroendeman" if swedish else "Pääluottamusmies",
    }
