"""The plan of the 2021–2022 programme: which applications, their figures and their days.

Deterministic (seeded random numbers): 77 applications whose totals are the
programme's public figures (``shared/reference/programme-facts.md``), and for
each the moments of its steps (``timeline``), which respect the deadlines of
``sparring.cases.deadlines``. ``sparring.demo.programme`` drives them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings

from sparring.cases import deadlines
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


def moment_at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=HELSINKI)


def _in_time(moment: datetime, *, offered: datetime) -> datetime:
    """``moment``, or earlier when the offer's deadline (``deadlines.offer_deadline``) comes first."""
    deadline = deadlines.offer_deadline(offered)
    return (
        moment
        if moment < deadline
        else max(offered + timedelta(minutes=30), deadline - timedelta(hours=1))
    )


def timeline(case: PlannedCase) -> dict[str, datetime | list[datetime]]:
    """When each step of the planned case happens."""
    rng = random.Random(case.n)
    submitted = case.submitted
    moments: dict = {"create": moment_at(submitted, 8, 40), "submit": moment_at(submitted, 9, 15)}
    review = submitted
    if case.amend:
        moments["return"] = moment_at(_working_day_from(submitted, 2), 10)
        review = _working_day_from(submitted, 5)
        moments["resubmit"] = moment_at(review, 13)
    decided = _working_day_from(review, rng.randint(1, 4))
    moments["decide"] = moment_at(decided, 11)
    moments["call_off"] = moment_at(decided, 11, 30)
    answered = _working_day_from(decided, 1)
    if case.decline_first:
        moments["decline"] = _in_time(moment_at(answered, 9), offered=moments["call_off"])
        moments["call_off_again"] = moments["decline"] + timedelta(hours=1)
        answered = _working_day_from(moments["call_off_again"].date(), 1)
    moments["accept"] = _in_time(
        moment_at(answered, 10), offered=moments.get("call_off_again", moments["call_off"])
    )
    answered = moments["accept"].date()
    proposed = _working_day_from(answered, 2)
    moments["propose"] = moment_at(proposed, 14)
    moments["confirm"] = moment_at(_working_day_from(proposed, 1), 9, 30)
    first = _working_day_from(proposed + timedelta(days=rng.randint(14, 35)))
    day_dates = [first]
    if case.approved_days == 2:
        day_dates.append(_working_day_from(first + timedelta(days=rng.randint(14, 28))))
    moments["days"] = day_dates
    reported = _working_day_from(day_dates[-1], rng.randint(2, 8))
    moments["report"] = moment_at(reported, 15)
    moments["answers"] = [
        moment_at(reported + timedelta(days=1 + k % 10), 8 + k % 9, 5 * (k % 12))
        for k in range(len(case.grades))
    ]
    closes = reported + timedelta(days=settings.SPARRING_FEEDBACK_DAYS + 1)
    moments["close"] = moment_at(_working_day_from(closes), 10)
    return moments
