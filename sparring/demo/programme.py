"""The 2021–2022 programme replayed through the real flow (``manage.py seed_programme``).

A deterministic plan of 77 applications (72 accepted: 55 of two days and 17 of
one day, 1690 participants, sectors and themes as in the programme's public
figures; 3 rejected and 2 withdrawn besides) is driven step by step through the
same services the users' forms call: submit, review (some returned for
amendment first), call-off by the agreement's rule (some offers declined), dates
proposed and confirmed, days held, report filed (its PDF rendered by the flow's
background job), anonymous survey answers, the feedback timer, closing.

Each step happens on its own day of 2021–2022: the clock is moved there with
``time_machine`` so that every timestamp the services, viewflow and Django
write is that day's, and the services' date rules (no days in the past, a call
open when applying, a day recorded on or after the day) hold as they do for
users. The driver looks at each case's status and takes its next step, so a run
that was interrupted continues where it stopped and a second run changes nothing.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import time_machine
from django.conf import settings
from django.db import transaction
from django.test.utils import override_settings
from viewflow.workflow.timers import fire_due_timers

from sparring.cases import services
from sparring.models import Call, Case, Sector, SessionDay, Theme, User
from sparring.reports import services as report_services
from sparring.surveys import services as surveys
from sparring.workdays import HELSINKI, is_working_day

from . import data as demo

SECTOR_COUNTS = [  # programme-facts.md; None = the whole organisation
    ("social-health", 14),
    ("education", 12),
    ("finance-administration", 8),
    ("leisure-culture-youth", 8),
    ("vitality-employment", 6),
    ("supervisory-work", 5),
    ("cleaning-catering", 2),
    ("occupational-safety", 2),
    ("transport", 1),
    ("waste-management", 1),
    (None, 13),
]
THEME_COUNTS = [
    ("work-community", 26),
    ("workload-wellbeing", 17),
    ("co-development", 16),
    ("processes-services", 11),
    ("remote-work", 1),
    ("digitalisation", 1),
]
TWO_DAY_CASES, ONE_DAY_CASES = 55, 17
PARTICIPANTS = 1690
GRADE_SHARES = {3: 0.05, 4: 0.20}  # the rest are fives: the mean comes to 4.7

CALL = {
    "title": "Sparrausten haku 2021–2022",
    "description": (
        "Kuntaorganisaatiot voivat hakea maksutonta 1–2 päivän sparrausta työyhteisön "
        "kehittämistarpeeseen. Hakuaika päättyy, kun sparrauspäivät on varattu."
    ),
    "opens_at": datetime(2021, 8, 23, 9, 0, tzinfo=HELSINKI),
    "closes_at": datetime(2022, 9, 30, 16, 0, tzinfo=HELSINKI),
    "delivery_starts": date(2021, 9, 1),
    "delivery_ends": date(2022, 12, 31),
    "day_budget": 140,
}
SETUP_AT = datetime(2021, 8, 16, 9, 0, tzinfo=HELSINKI)
FIRST_SUBMISSION = date(2021, 8, 24)
LAST_SUBMISSION = date(2022, 9, 12)
COORDINATOR = ("koordinaattori", "Kaisa", "Koordinaattori")
# The two organisations whose applications stop (one rejected, one withdrawn) and do not count.
NOT_ACCEPTED_ORGANISATIONS = (demo.business_id(100 + 43), demo.business_id(100 + 44))
SPECIAL_ORGANISATIONS = {  # sector -> an organisation whose field it is
    "transport": demo.business_id(203),
    "waste-management": demo.business_id(202),
    "education": demo.business_id(200),
    "social-health": demo.business_id(201),
}

REPORT_TEXT = {
    "work-community": (
        "Työyhteisön yhteiset pelisäännöt ja vuorovaikutus",
        "Kaksi fasilitoitua työpajaa: nykytilan kuvaus, tavoitetila ja sopimukset.",
        "Toimintakulttuuri, palautteen antaminen, yhteiset pelisäännöt",
        "Yhteinen ymmärrys nykytilasta, sovitut pelisäännöt ja herätyksen hetkiä.",
        "Pelisääntöjen seuranta tiimipalavereissa, uusi tarkistus puolen vuoden päästä.",
    ),
    "workload-wellbeing": (
        "Kuormitustekijöiden tunnistaminen ja keventäminen",
        "Kuormituskartoitus ennakkotehtävänä ja työpaja, jossa valittiin kokeilut.",
        "Työn kuormitus, työnjako, palautuminen",
        "Selkeämpi työnjako ja kolme sovittua kuormitusta keventävää kokeilua.",
        "Kokeilujen arviointi työsuojelun kanssa, seurantakysely syksyllä.",
    ),
    "co-development": (
        "Henkilöstön osallisuus kehittämisessä",
        "Yhteiskehittämisen työpajat esihenkilöille ja henkilöstölle yhdessä.",
        "Osallisuus, yhdessä kehittäminen, luottamus",
        "Yhdessä tekemisen kulttuuri vahvistui; uusia ideoita ja sitoutuminen tavoitteisiin.",
        "Kehittämisryhmä jatkaa työtä, luottamushenkilöt mukana.",
    ),
    "processes-services": (
        "Palveluprosessin selkiyttäminen asiakkaan näkökulmasta",
        "Prosessikuvaus työpajassa ja asiakaspolun läpikäynti.",
        "Prosessit, asiakaslähtöisyys, roolit",
        "Kuvattu prosessi, tunnistetut pullonkaulat ja selkeämmät roolit.",
        "Prosessin pilotointi ja arviointi kolmen kuukauden päästä.",
    ),
    "remote-work": (
        "Etätyön ja etäpalvelujen yhteiset käytännöt",
        "Verkkotyöpajat ja etätyön pelisääntöjen luonnos.",
        "Etätyö, etäpalvelut, yhteydenpito",
        "Sovitut etätyön käytännöt ja palaverirakenne.",
        "Käytäntöjen tarkistus tiimeittäin.",
    ),
    "digitalisation": (
        "Uusien digitaalisten toimintatapojen käyttöönotto",
        "Työpaja ja käyttöönoton suunnitelma.",
        "Digitalisaatio, uudet työkalut, osaaminen",
        "Käyttöönoton suunnitelma ja vastuuhenkilöt.",
        "Osaamisen kartoitus ja koulutus.",
    ),
}
BEST = [
    "Kaikki pääsivät ääneen.",
    "Konkreettiset sopimukset ja selkeä rakenne.",
    "Ulkopuolinen näkökulma auttoi.",
    "",
    "",
]
IMPROVE = ["Aikaa olisi saanut olla enemmän.", "", "", "", "Ennakkomateriaali aiemmin."]


@dataclass
class PlannedCase:
    """One application of the plan and the moments of its steps."""

    n: int
    organisation: str  # Business ID
    sector: str | None
    theme: str
    requested_days: int
    approved_days: int
    outcome: str  # "delivered", "rejected" or "withdrawn"
    participants: list[int] = field(default_factory=list)  # per day
    grades: list[int] = field(default_factory=list)  # survey answers, overall grade
    amend: bool = False
    decline_first: bool = False
    language: str = "fi"
    submitted: date | None = None

    @property
    def marker(self) -> str:
        """The contact address identifies the planned case on a second run."""
        return f"sparraus{self.n:03d}@example.invalid"


def plan() -> list[PlannedCase]:
    """The programme's applications, the same on every run."""
    rng = random.Random(2021)
    sectors = [code for code, count in SECTOR_COUNTS for _ in range(count)]
    themes = [code for code, count in THEME_COUNTS for _ in range(count)]
    days = [2] * TWO_DAY_CASES + [1] * ONE_DAY_CASES
    for values in (sectors, themes, days):
        rng.shuffle(values)
    accepted = len(sectors)

    # Organisations: the four special ones take a case of their field, each
    # municipality at least one, the rest go round again.
    organisations: list[str | None] = [None] * accepted
    for sector, business_id in SPECIAL_ORGANISATIONS.items():
        organisations[sectors.index(sector)] = business_id
    municipalities = [
        row["business_id"]
        for row in demo.ORGANISATIONS
        if row["kind"] == "municipality" and row["business_id"] not in NOT_ACCEPTED_ORGANISATIONS
    ]
    free = [i for i in range(accepted) if organisations[i] is None]
    rng.shuffle(free)
    for i, business_id in zip(free, municipalities, strict=False):
        organisations[i] = business_id
    for i in free[len(municipalities) :]:
        organisations[i] = rng.choice(municipalities)

    participants = _participants(rng, days)
    cases = [
        PlannedCase(
            n=0,
            organisation=organisations[i],
            sector=sectors[i],
            theme=themes[i],
            requested_days=days[i],
            approved_days=days[i],
            outcome="delivered",
            participants=participants[i],
        )
        for i in range(accepted)
    ]
    # A few one-day sparrings were asked for as two days.
    for case in [c for c in cases if c.approved_days == 1][:4]:
        case.requested_days = 2
    for i in (4, 22, 40, 59):
        cases[i].amend = True
    for i in (9, 32, 54):
        cases[i].decline_first = True
    for i in (7, 36):
        cases[i].language = "sv" if i == 7 else "en"
    _grades(rng, cases)

    stopped = [
        ("rejected", NOT_ACCEPTED_ORGANISATIONS[0], 12),
        ("withdrawn", NOT_ACCEPTED_ORGANISATIONS[1], 30),
        ("rejected", municipalities[3], 47),
        ("withdrawn", municipalities[8], 58),
        ("rejected", municipalities[15], 66),
    ]
    for outcome, business_id, position in stopped:
        cases.insert(
            position,
            PlannedCase(
                n=0,
                organisation=business_id,
                sector=rng.choice(sectors[:10]) or "social-health",
                theme="work-community",
                requested_days=2,
                approved_days=2,
                outcome=outcome,
            ),
        )
    span = (LAST_SUBMISSION - FIRST_SUBMISSION).days
    for n, case in enumerate(cases, start=1):
        case.n = n
        case.submitted = _working_day_from(
            FIRST_SUBMISSION + timedelta(days=span * (n - 1) // (len(cases) - 1))
        )
    return cases


def _participants(rng: random.Random, days: list[int]) -> list[list[int]]:
    """Participants per case summing to the programme's 1690, split over each case's days."""
    totals = [rng.randint(12, 36) for _ in days]
    difference = PARTICIPANTS - sum(totals)
    i = 0
    while difference:
        step = 1 if difference > 0 else -1
        if totals[i % len(totals)] + step >= 6:
            totals[i % len(totals)] += step
            difference -= step
        i += 1
    result = []
    for total, count in zip(totals, days, strict=True):
        first = total if count == 1 else (total + 1) // 2
        result.append([first] if count == 1 else [first, total - first])
    return result


def _grades(rng: random.Random, cases: list[PlannedCase]) -> None:
    """Survey answers for about a third of the participants; the mean of all rounds to 4.7."""
    counts = [max(3, round(sum(c.participants) * rng.uniform(0.25, 0.45))) for c in cases]
    total = sum(counts)
    grades = [3] * round(total * GRADE_SHARES[3]) + [4] * round(total * GRADE_SHARES[4])
    grades += [5] * (total - len(grades))
    rng.shuffle(grades)
    start = 0
    for case, count in zip(cases, counts, strict=True):
        case.grades = grades[start : start + count]
        start += count


def _working_day_from(day: date, offset: int = 0) -> date:
    """The first working day on or after ``day``, then ``offset`` working days on."""
    while not is_working_day(day):
        day += timedelta(days=1)
    while offset > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            offset -= 1
    return day


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=HELSINKI)


def timeline(case: PlannedCase) -> dict[str, datetime | list[datetime]]:
    """When each step of the planned case happens."""
    rng = random.Random(case.n)
    submitted = case.submitted
    moments: dict = {"create": _at(submitted, 8, 40), "submit": _at(submitted, 9, 15)}
    review = submitted
    if case.amend:
        moments["return"] = _at(_working_day_from(submitted, 2), 10)
        review = _working_day_from(submitted, 5)
        moments["resubmit"] = _at(review, 13)
    decided = _working_day_from(review, rng.randint(1, 4))
    moments["decide"] = _at(decided, 11)
    moments["call_off"] = _at(decided, 11, 30)
    answered = _working_day_from(decided, 1)
    if case.decline_first:
        moments["decline"] = _at(answered, 9)
        moments["call_off_again"] = _at(answered, 10)
        answered = _working_day_from(answered, 1)
    moments["accept"] = _at(answered, 10)
    proposed = _working_day_from(answered, 2)
    moments["propose"] = _at(proposed, 14)
    moments["confirm"] = _at(_working_day_from(proposed, 1), 9, 30)
    first = _working_day_from(proposed + timedelta(days=rng.randint(14, 35)))
    day_dates = [first]
    if case.approved_days == 2:
        day_dates.append(_working_day_from(first + timedelta(days=rng.randint(14, 28))))
    moments["days"] = day_dates
    reported = _working_day_from(day_dates[-1], rng.randint(2, 8))
    moments["report"] = _at(reported, 15)
    moments["answers"] = [
        _at(reported + timedelta(days=1 + k % 10), 8 + k % 9, 5 * (k % 12))
        for k in range(len(case.grades))
    ]
    closes = reported + timedelta(days=settings.SPARRING_FEEDBACK_DAYS + 1)
    moments["close"] = _at(_working_day_from(closes), 10)
    return moments


class SeedError(Exception):
    pass


class Replay:
    """Drives each planned case to its end through the services, on its own days."""

    MAX_STEPS = 40

    def __init__(self, log: Callable[[str], None] = lambda _line: None) -> None:
        self.log = log

    def run(self, plans: list[PlannedCase] | None = None) -> dict[str, int]:
        """Drive the programme's plan (or the given planned cases) to the end."""
        from celery import current_app

        eager = current_app.conf.task_always_eager
        # Background work (the report PDF, e-mail) runs in this process, on the
        # replayed day; the replayed e-mails are not sent to anyone.
        current_app.conf.task_always_eager = True
        counts = {"created": 0, "finished": 0, "steps": 0}
        quiet = {
            name: logging.getLogger(name) for name in ("celery", "kombu", "weasyprint", "fontTools")
        }
        levels = {name: logger.level for name, logger in quiet.items()}
        for logger in quiet.values():
            logger.setLevel(logging.ERROR)  # one line per task and per PDF font otherwise
        try:
            with (
                override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
                time_machine.travel(SETUP_AT, tick=False) as clock,
            ):
                self.clock = clock
                self._setup()
                for planned in plan() if plans is None else plans:
                    steps = self._drive(planned)
                    counts["steps"] += steps
                    counts["created" if steps else "finished"] += 1
        finally:
            current_app.conf.task_always_eager = eager
            for name, logger in quiet.items():
                logger.setLevel(levels[name])
        return counts

    # -- reference data -------------------------------------------------------------

    def _setup(self) -> None:
        with transaction.atomic():
            demo.ensure_framework()
            self.organisations = demo.ensure_organisations()
            username, first, last = COORDINATOR
            self.coordinator = demo.ensure_user(username, User.Role.COORDINATOR, first, last)
            self.call = Call.objects.filter(title=CALL["title"]).first() or Call.objects.create(
                **CALL
            )
        self.sectors = {s.code: s for s in Sector.objects.all()}
        self.themes = {t.code: t for t in Theme.objects.all()}

    # -- one case -------------------------------------------------------------------

    def _move(self, moment: datetime) -> None:
        self.clock.move_to(moment)
        fire_due_timers()

    def _drive(self, planned: PlannedCase) -> int:
        organisation, applicant = self.organisations[planned.organisation]
        moments = timeline(planned)
        case = Case.objects.filter(call=self.call, contact_email=planned.marker).first()
        steps = 0
        while case is None or case.status not in (
            Case.Status.CLOSED,
            Case.Status.REJECTED,
            Case.Status.WITHDRAWN,
        ):
            if steps >= self.MAX_STEPS:
                raise SeedError(f"Case {planned.n} did not reach its end: {case.status}.")
            if case is None:
                self._move(moments["create"])
                services.case_create(
                    actor=applicant, call=self.call, data=self._application(planned)
                )
            else:
                self._step(planned, case, applicant, moments)
            steps += 1
            case = Case.objects.filter(call=self.call, contact_email=planned.marker).first()
        if steps:
            self.log(f"{case.reference} {organisation} {case.get_status_display()}")
        return steps

    def _application(self, planned: PlannedCase) -> dict:
        theme = self.themes[planned.theme]
        whole = planned.sector is None
        return {
            "unit": "" if whole else f"{self.sectors[planned.sector].name_fi}, yksikkö {planned.n}",
            "whole_organisation": whole,
            "sector": None if whole else self.sectors[planned.sector],
            "theme": theme,
            "development_need": f"Kehittämistarve: {theme.name_fi.lower()}.",
            "goal": "Yhteinen näkemys nykytilasta ja sovitut seuraavat askeleet.",
            "target_group": "Koko henkilöstö" if whole else "Yksikön henkilöstö ja esihenkilöt",
            "estimated_participants": sum(planned.participants) or 20,
            "requested_days": planned.requested_days,
            "preferred_period": "",
            "language": planned.language,
            "contact_name": "Yhteyshenkilö",
            "contact_email": planned.marker,
            "contact_phone": "",
            "staff_representative": "Pääluottamusmies",
        }

    def _step(self, planned: PlannedCase, case: Case, applicant: User, moments: dict) -> None:
        from procurement.models import Offer

        coordinator = self.coordinator
        status = case.status
        if status == Case.Status.DRAFT:
            self._move(moments["submit"])
            services.case_submit(actor=applicant, case=case, version=case.version)
        elif status == Case.Status.SUBMITTED:
            returned = case.events.filter(action="case_returned").exists()
            if planned.amend and not returned:
                self._move(moments["return"])
                services.case_decide(
                    actor=coordinator,
                    case=case,
                    decision=services.Decision.RETURN,
                    comment="Täsmentäkää tavoite ja kohderyhmä.",
                    version=case.version,
                )
            elif planned.outcome == "withdrawn":
                self._move(moments["decide"])
                services.case_withdraw(
                    actor=applicant,
                    case=case,
                    reason="Ajankohta ei sovi organisaation muutostilanteen vuoksi.",
                    version=case.version,
                )
            else:
                self._move(moments["decide"])
                approve = planned.outcome == "delivered"
                services.case_decide(
                    actor=coordinator,
                    case=case,
                    decision=services.Decision.APPROVE if approve else services.Decision.REJECT,
                    comment="" if approve else "Tarve ei kohdistu työyhteisön kehittämiseen.",
                    version=case.version,
                    approved_days=planned.approved_days if approve else None,
                )
        elif status == Case.Status.RETURNED:
            self._move(moments["resubmit"])
            case = services.case_update(
                actor=applicant,
                case=case,
                data={"goal": "Täsmennetty tavoite: sovitut pelisäännöt ja seurantamalli."},
                version=case.version,
            )
            services.case_submit(actor=applicant, case=case, version=case.version)
        elif status == Case.Status.APPROVED:
            again = case.offers.filter(status=Offer.Status.DECLINED).exists()
            self._move(moments["call_off_again" if again else "call_off"])
            services.case_call_off(actor=coordinator, case=case, version=case.version)
        elif status == Case.Status.OFFERED:
            offer = case.offers.get(status=Offer.Status.OFFERED)
            decline = (
                planned.decline_first
                and not case.offers.filter(status=Offer.Status.DECLINED).exists()
            )
            self._move(moments["decline" if decline else "accept"])
            services.offer_answer(
                actor=offer.consultant.user,
                offer=offer,
                accept=not decline,
                reason="Kalenteri on täynnä toivotulla ajanjaksolla." if decline else "",
            )
        elif status == Case.Status.SCHEDULING:
            if case.days_planned.filter(status=SessionDay.Status.PROPOSED).exists():
                self._move(moments["confirm"])
                services.schedule_confirm(
                    actor=applicant, case=case, accept=True, comment="", version=case.version
                )
                return
            self._move(moments["propose"])
            services.schedule_propose(
                actor=case.consultant.user,
                case=case,
                days=[self._day(case, day) for day in moments["days"]],
                version=case.version,
            )
        elif status == Case.Status.DELIVERY:
            day = case.days_planned.filter(status=SessionDay.Status.CONFIRMED).order_by("date")[0]
            index = moments["days"].index(day.date)
            self._move(_at(day.date, 15, 45))
            services.session_day_record(
                actor=case.consultant.user, day=day, participants=planned.participants[index]
            )
        elif status == Case.Status.REPORTING:
            self._move(moments["report"])
            goal, how, covered, results, follow_up = REPORT_TEXT[planned.theme]
            report_services.report_submit(
                actor=case.consultant.user,
                case=case,
                data={
                    "participants": sum(planned.participants),
                    "refined_goal": goal,
                    "implementation": how,
                    "themes_covered": covered,
                    "results": results,
                    "follow_up": follow_up,
                },
                version=case.version,
            )
        elif status == Case.Status.FEEDBACK:
            self._answer(planned, case, moments)
            self._move(moments["close"])  # the feedback timer fires
        elif status == Case.Status.CLOSING:
            self._move(moments["close"])
            services.case_close(
                actor=coordinator, case=case, comment="Sparraus toteutettu.", version=case.version
            )
        else:
            raise SeedError(f"Case {planned.n}: no step from {status}.")

    def _day(self, case: Case, day: date) -> dict:
        remote = case.theme.code == "remote-work"
        return {
            "date": day,
            "start_time": time(9, 0),
            "end_time": time(15, 30),
            "place": "" if remote else f"{case.organisation.name_fi}, kokoustila",
            "remote_link": "https://meet.example.invalid/sparraus" if remote else "",
        }

    def _answer(self, planned: PlannedCase, case: Case, moments: dict) -> None:
        survey = case.survey
        given = survey.answers.count()
        for k in range(given, len(planned.grades)):
            grade = planned.grades[k]
            self._move(moments["answers"][k])
            surveys.survey_answer(
                token=survey.token,
                data={
                    "overall": grade,
                    "goal_reached": max(1, grade - k % 2),
                    "facilitation": min(5, grade + k % 2),
                    "usefulness": grade,
                    "best": BEST[k % len(BEST)],
                    "improve": IMPROVE[k % len(IMPROVE)],
                },
                client=f"seed-{planned.n}-{k}",
                already_in_browser=False,
            )
