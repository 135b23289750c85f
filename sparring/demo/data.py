"""Reference data of the demo 2021–2022 programme, used by ``seed_programme``.

One framework agreement with the real programme's shape (8 suppliers, 11
consultants) and 51 organisations. Tampere and Espoo carry their real Business
IDs (and the demo applicant logins of ``seed_demo``); every other organisation,
supplier and person is invented, and their Business IDs are made up
(checksum-valid, not registered to anyone we know of). Everything is created
through the services and only when missing, so ``seed_demo`` and
``seed_programme`` can run in any order, any number of times.
"""

from datetime import date
from decimal import Decimal

from stdnum.fi import ytunnus

from procurement.models import Consultant, FrameworkAgreement, Supplier
from procurement.services import agreement_create, consultant_create, supplier_create
from sparring.accounts.services import organisation_create, user_create
from sparring.models import Organisation, Theme, User

AGREEMENT = {
    "notice_reference": "2021-123456-OHJELMA",
    "title": "Sparrauspalvelut kuntaorganisaatioille 2021–2022, puitejärjestely",
    "method": FrameworkAgreement.Method.ROTATION,
    "budget": Decimal("300000.00"),
    "default_day_price": Decimal("1100.00"),
    "valid_from": date(2021, 8, 2),
    "valid_until": date(2022, 12, 31),
}


def business_id(serial: int) -> str:
    """An invented, checksum-valid Business ID (Y-tunnus) for the demo, from a serial number."""
    base = 3_900_000 + serial * 10
    while True:
        for digit in range(10):
            candidate = f"{base:07d}-{digit}"
            if ytunnus.is_valid(candidate):
                return candidate
        base += 1


SUPPLIERS = [
    # name, business id, ranking position, day price, contact, planned share
    ("Sparrauskumppanit Oy", business_id(1), 1, "1150.00", "Sari Sarkola", 2),
    ("Työyhteisöakatemia Oy", business_id(2), 2, "1090.00", "Ville Kosola", 2),
    ("Osallisuuspaja Oy", business_id(3), 3, "1120.00", "Outi Paju", 2),
    ("Fasilitointitalo Oy", business_id(4), 4, "1080.00", "Frans Talo", 1),
    ("Työhyvinvointikeskus Oy", business_id(5), 5, "1100.00", "Tiina Hyvönen", 1),
    ("Prosessiverstas Oy", business_id(6), 6, "1060.00", "Pasi Verho", 1),
    ("Yhteiskehittäjät Oy", business_id(7), 7, "1140.00", "Ylva Kehro", 1),
    ("Muutosvoima Oy", business_id(8), 8, "1095.00", "Matti Voimala", 1),
]

ALL_THEMES = [
    "work-community",
    "workload-wellbeing",
    "co-development",
    "processes-services",
    "remote-work",
    "digitalisation",
]

# username, first name, last name, supplier index, languages
CONSULTANTS = [
    ("aino.aaltola", "Aino", "Aaltola", 0, ["fi"]),
    ("kirsi.kettunen", "Kirsi", "Kettunen", 0, ["fi", "en"]),
    ("vesa.virtala", "Vesa", "Virtala", 1, ["fi", "sv"]),
    ("jussi.jarvinen", "Jussi", "Järvinen", 1, ["fi"]),
    ("olga.osala", "Olga", "Osala", 2, ["fi", "sv", "en"]),
    ("pekka.pajunen", "Pekka", "Pajunen", 2, ["fi"]),
    ("fanny.fagerstrom", "Fanny", "Fagerström", 3, ["fi", "sv"]),
    ("heikki.hirvonen", "Heikki", "Hirvonen", 4, ["fi"]),
    ("maria.mattila", "Maria", "Mattila", 5, ["fi", "en"]),
    ("eero.ekholm", "Eero", "Ekholm", 6, ["fi", "sv"]),
    ("noora.nieminen", "Noora", "Nieminen", 7, ["fi"]),
]

_STEMS = [
    "Järvelä",
    "Koskela",
    "Mäntylä",
    "Rantala",
    "Harjula",
    "Lehtola",
    "Kuusela",
    "Niemelä",
    "Saarela",
    "Mäkelä",
    "Hietala",
    "Peltola",
    "Laaksola",
    "Salmela",
    "Honkala",
    "Vaarala",
    "Kivelä",
    "Ahola",
    "Lampela",
    "Haapala",
    "Koivula",
    "Lepola",
    "Marjala",
    "Mustala",
    "Paasila",
    "Raitala",
    "Rinnela",
    "Tervala",
    "Vainiola",
    "Vehmala",
    "Vuorela",
    "Kotila",
    "Ketola",
    "Kallela",
    "Heikkilä",
    "Hyvälä",
    "Honkola",
    "Isola",
    "Kaukola",
    "Latvala",
    "Rautala",
    "Savela",
    "Tuomela",
    "Vaskila",
    "Yrjölä",
]
_REGIONS = ["01", "02", "04", "05", "06", "07", "08", "10", "11", "12", "13", "14", "15", "17"]


def _slug(text: str) -> str:
    return text.lower().translate(str.maketrans("äöå", "aoa"))


def _organisations() -> list[dict]:
    """51 organisations: 49 take part in the programme, two only file applications that stop."""
    rows = [
        {
            "name_fi": "Tampereen kaupunki",
            "name_sv": "Tammerfors stad",
            "business_id": "0211675-2",
            "kind": Organisation.Kind.MUNICIPALITY,
            "municipality_code": "837",
            "region": "06",
            "applicant": "hakija.tampere",
        },
        {
            "name_fi": "Espoon kaupunki",
            "name_sv": "Esbo stad",
            "business_id": "0101263-6",
            "kind": Organisation.Kind.MUNICIPALITY,
            "municipality_code": "049",
            "region": "01",
            "applicant": "hakija.espoo",
            "applicant_language": "sv",
        },
    ]
    for n, stem in enumerate(_STEMS):
        city = n % 3 == 0
        rows.append(
            {
                "name_fi": f"{stem}n {'kaupunki' if city else 'kunta'}",
                "name_sv": f"{stem} {'stad' if city else 'kommun'}",
                "business_id": business_id(100 + n),
                "kind": Organisation.Kind.MUNICIPALITY,
                "region": _REGIONS[n % len(_REGIONS)],
                "applicant": f"hakija.{_slug(stem)}",
            }
        )
    for n, (name, kind) in enumerate(
        [
            ("Koskelan seudun koulutuskuntayhtymä", Organisation.Kind.JOINT_AUTHORITY),
            ("Mäntylän sairaanhoitopiirin kuntayhtymä", Organisation.Kind.JOINT_AUTHORITY),
            ("Rantalan Seudun Jätehuolto Oy", Organisation.Kind.MUNICIPAL_COMPANY),
            ("Lehtolan Joukkoliikenne Oy", Organisation.Kind.MUNICIPAL_COMPANY),
        ]
    ):
        rows.append(
            {
                "name_fi": name,
                "business_id": business_id(200 + n),
                "kind": kind,
                "region": _REGIONS[(n * 5) % len(_REGIONS)],
                "applicant": f"hakija.{_slug(name.split()[0])}-{n + 1}",
            }
        )
    return rows


ORGANISATIONS = _organisations()


def ensure_agreement() -> FrameworkAgreement:
    agreement = FrameworkAgreement.objects.filter(
        notice_reference=AGREEMENT["notice_reference"]
    ).first()
    return agreement or agreement_create(actor=None, **AGREEMENT)


def ensure_framework() -> FrameworkAgreement:
    """The agreement, its 8 suppliers and 11 consultants (consultant logins without a password)."""
    agreement = ensure_agreement()
    suppliers = []
    for name, bid, position, price, contact, share in SUPPLIERS:
        supplier = Supplier.objects.filter(business_id=bid).first() or supplier_create(
            actor=None,
            agreement=agreement,
            name=name,
            business_id=bid,
            ranking_position=position,
            day_price=Decimal(price),
            contact_name=contact,
            contact_email=f"{_slug(contact).replace(' ', '.')}@example.invalid",
            planned_share=share,
        )
        suppliers.append(supplier)
    themes = list(Theme.objects.filter(code__in=ALL_THEMES))
    for username, first, last, supplier_index, languages in CONSULTANTS:
        user = ensure_user(username, User.Role.CONSULTANT, first, last)
        if not Consultant.objects.filter(user=user).exists():
            consultant_create(
                actor=None,
                user=user,
                supplier=suppliers[supplier_index],
                themes=themes,
                languages=languages,
                regions=[],
                works_remotely=True,
                capacity_per_month=8,
                capacity_total=60,
            )
    return agreement


def ensure_organisations(only=None) -> dict[str, tuple[Organisation, User]]:
    """The demo organisations (all, or those Business IDs) with one applicant login each."""
    result = {}
    for row in ORGANISATIONS:
        if only is not None and row["business_id"] not in only:
            continue
        data = {k: v for k, v in row.items() if not k.startswith("applicant")}
        organisation = Organisation.objects.filter(
            business_id=data["business_id"]
        ).first() or organisation_create(actor=None, **data)
        applicant = ensure_user(
            row["applicant"],
            User.Role.APPLICANT,
            "Hakija",
            organisation.name_fi.split()[0],
            organisation=organisation,
            language=row.get("applicant_language", "fi"),
        )
        result[organisation.business_id] = (organisation, applicant)
    return result


def ensure_user(
    username: str,
    role: str,
    first_name: str,
    last_name: str,
    *,
    organisation: Organisation | None = None,
    language: str = "fi",
) -> User:
    """A login by username; created without a usable password (seed_demo sets the demo ones)."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    return user_create(
        actor=None,
        username=username,
        email=f"{username}@example.invalid",
        role=role,
        password=None,
        first_name=first_name,
        last_name=last_name,
        organisation=organisation,
        language=language,
    )
