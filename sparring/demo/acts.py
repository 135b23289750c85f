"""Development acts of the replayed 2021–2022 programme (invented texts).

About every third delivered case publishes what its sparring led to, a few days after
closing, through the same services the case page uses: the applicant writes the act
with consent, the programme's coordinator approves it. The texts are invented; only
their kind follows the programme's public account of the Tekojen tori portal
(`../shared/reference/programme-facts.md`).
"""

from __future__ import annotations

from datetime import timedelta

from sparring import clock
from sparring.cases.states import CaseStatus
from sparring.models import Case, User
from sparring.outcomes import services
from sparring.outcomes.models import DevelopmentAct

# theme code -> language -> (title, what was done, what changed)
TEXTS = {
    "work-community": {
        "fi": (
            "Yhteiset pelisäännöt arkeen",
            "Koko työyhteisö kokoontui kahteen työpajaan. Kirjasimme, mikä arjessa toimii ja "
            "mikä hiertää, ja sovimme viisi pelisääntöä, joihin kaikki sitoutuivat.",
            "Palaverit alkavat ajallaan ja päätökset kirjataan. Uudet työntekijät saavat "
            "pelisäännöt perehdytyksessä, ja niitä arvioidaan puolen vuoden välein.",
        ),
        "sv": (
            "Gemensamma spelregler i vardagen",
            "Hela arbetsgemenskapen samlades till två workshoppar. Vi skrev ner vad som "
            "fungerar och vad som skaver och kom överens om fem spelregler.",
            "Mötena börjar i tid och besluten skrivs ner. Nya medarbetare får spelreglerna "
            "i introduktionen, och de utvärderas varje halvår.",
        ),
    },
    "workload-wellbeing": {
        "fi": (
            "Kuormitus näkyväksi viikkopalaverissa",
            "Kävimme läpi työn kuormitustekijät ja rakensimme yksinkertaisen "
            "liikennevalomallin, jolla jokainen kertoo viikon tilanteensa.",
            "Ruuhkahuiput huomataan etukäteen ja töitä jaetaan uudelleen. Sairauspoissaolot "
            "ovat kääntyneet laskuun, ja tauot pidetään.",
        ),
        "sv": (
            "Arbetsbelastningen syns på veckomötet",
            "Vi gick igenom belastningsfaktorerna och byggde en enkel trafikljusmodell där "
            "var och en berättar om sin vecka.",
            "Toppar upptäcks i förväg och arbetet fördelas om. Pauserna hålls.",
        ),
    },
    "co-development": {
        "fi": (
            "Henkilöstö mukaan palvelun uudistamiseen",
            "Esihenkilöt, henkilöstön edustaja ja työntekijät suunnittelivat yhdessä, miten "
            "muutoksista keskustellaan ennen päätöksiä.",
            "Jokaisella tiimillä on kehittämisvuoro kuukausipalaverissa. Ehdotukset käsitellään "
            "ja niihin vastataan kahden viikon kuluessa.",
        ),
        "sv": (
            "Personalen med i förnyelsen av tjänsten",
            "Chefer, personalens företrädare och medarbetare planerade tillsammans hur "
            "förändringar diskuteras innan besluten fattas.",
            "Varje team har en utvecklingstur på månadsmötet. Förslagen behandlas och besvaras "
            "inom två veckor.",
        ),
    },
    "processes-services": {
        "fi": (
            "Asiakasprosessi yhdelle paperille",
            "Piirsimme asiakkaan polun yhteydenotosta palvelun päättymiseen ja etsimme "
            "kohdat, joissa tieto katkeaa.",
            "Päällekkäinen kirjaaminen jäi pois ja vastuut ovat selvät. Asiakkaat saavat "
            "vastauksen aiempaa nopeammin.",
        ),
        "sv": (
            "Kundprocessen på ett papper",
            "Vi ritade kundens väg från den första kontakten till tjänstens slut och sökte "
            "ställena där informationen bryts.",
            "Dubbel dokumentation föll bort och ansvaret är tydligt.",
        ),
    },
    "remote-work": {
        "fi": (
            "Hybridityön sopimus tiimille",
            "Sovimme, mitkä työt tehdään yhdessä paikan päällä ja mitkä etänä, ja miten "
            "tavoitettavuudesta viestitään.",
            "Toimistopäivät suunnitellaan yhteisiksi työpäiviksi. Etäpäivinä kukaan ei jää "
            "yksin, koska aamukahvit pidetään verkossa.",
        ),
        "sv": (
            "Ett avtal om hybridarbete för teamet",
            "Vi kom överens om vilket arbete som görs tillsammans på plats och vilket på "
            "distans, och hur vi berättar när vi nås.",
            "Kontorsdagarna planeras som gemensamma arbetsdagar.",
        ),
    },
    "digitalisation": {
        "fi": (
            "Sähköiset työkalut haltuun yhdessä",
            "Kartoitimme, mitkä digitaaliset välineet hidastavat työtä, ja nimesimme "
            "tiimeihin digitukihenkilöt.",
            "Kokeilemme uusia välineitä pienissä ryhmissä ennen käyttöönottoa. Osaamista "
            "jaetaan vertaisopastuksena kerran kuussa.",
        ),
        "sv": (
            "Digitala verktyg tillsammans",
            "Vi kartlade vilka digitala verktyg som bromsar arbetet och utsåg digitala "
            "stödpersoner i teamen.",
            "Nya verktyg prövas i små grupper innan de tas i bruk.",
        ),
    },
}
# A second account per theme, so that neighbouring acts do not read the same.
VARIANTS = {
    "work-community": (
        "Palautekulttuuri arjen työkaluksi",
        "Harjoittelimme rakentavan palautteen antamista ja sovimme, että jokainen tiimi "
        "pitää kuukausittain lyhyen onnistumisten kierroksen.",
        "Kiitosta annetaan ääneen ja ristiriidat otetaan puheeksi aiemmin. Kyselyssä "
        "ilmapiirin arvio nousi selvästi.",
    ),
    "workload-wellbeing": (
        "Keskeytykset kuriin hiljaisilla tunneilla",
        "Selvitimme, mistä työpäivän keskeytykset tulevat, ja kokeilimme kahta hiljaista "
        "tuntia viikossa.",
        "Keskittymistä vaativat työt valmistuvat ajallaan. Kokeilu jäi pysyväksi "
        "käytännöksi koko yksikköön.",
    ),
    "co-development": (
        "Kehittämisideat näkyviin yhteisellä taululla",
        "Keräsimme ideat yhteiselle taululle ja sovimme, kuka vie kunkin eteenpäin.",
        "Ideoista puolet on kokeiltu, ja henkilöstö kokee tulleensa kuulluksi.",
    ),
    "processes-services": (
        "Selkeä vastuunjako palvelupisteeseen",
        "Kävimme läpi palvelupisteen tehtävät ja kirjasimme kullekin vastuuhenkilön ja "
        "varahenkilön.",
        "Asiakkaita ei enää ohjata luukulta toiselle, ja lomakaudet sujuvat ilman ruuhkia.",
    ),
    "remote-work": (
        "Verkkokokousten pelisäännöt",
        "Sovimme verkkokokousten kestosta, asialistoista ja siitä, milloin kamera on päällä.",
        "Kokoukset ovat lyhyempiä ja kaikki pääsevät ääneen.",
    ),
    "digitalisation": (
        "Sähköinen työvuorosuunnittelu käyttöön",
        "Suunnittelimme käyttöönoton yhdessä henkilöstön kanssa ja koulutimme avainkäyttäjät.",
        "Vuorotoiveet kirjataan suoraan järjestelmään, ja listojen tekoon kuluu puolet "
        "aiemmasta ajasta.",
    ),
}
EVERY = 3  # about every third delivered case publishes an act
AFTER_CLOSING = timedelta(days=10)


def publish_acts(replay, planned_cases) -> int:
    """Publish the acts of the planned cases (``planned.n % EVERY == 0``) that are closed
    and have none yet, each ``AFTER_CLOSING`` after its case closed. Idempotent: a second
    run publishes nothing. Returns how many were published."""
    published = 0
    chosen = []
    for planned in planned_cases:
        if planned.outcome != "delivered" or planned.n % EVERY:
            continue
        case = Case.objects.filter(
            call=replay.call, contact_email=planned.marker, status=CaseStatus.CLOSED
        ).first()
        if case is None or DevelopmentAct.objects.filter(case=case).exists():
            continue
        chosen.append((case.closed_at, planned, case))
    for closed_at, planned, case in sorted(chosen, key=lambda item: item[0]):
        _organisation, applicant = replay.organisations[planned.organisation]
        replay.clock.move_to(closed_at + AFTER_CLOSING)
        language = case.language if case.language in ("fi", "sv") else "fi"
        title, done, changed = TEXTS[case.theme.code][language]
        if language == "fi" and (planned.n // EVERY) % 2:
            title, done, changed = VARIANTS[case.theme.code]
        act = services.act_submit(
            actor=User.objects.get(pk=applicant.pk),
            case=case,
            title=title,
            what_was_done=done,
            what_changed=changed,
            consent=True,
            language=language,
        )
        replay.clock.move_to(clock.now() + timedelta(days=2))
        services.act_publish(actor=replay.coordinator, act=act)
        published += 1
    return published
