"""Call-off records store why a candidate was not eligible as codes, not as text.

Earlier records hold the reasons as text in the language of the coordinator who
decided (mostly Finnish). The texts below are frozen copies of the labels (en, fi,
sv) at the time of this migration; a text that matches none is kept as it is
(``procurement.calloff.reason_label`` shows stored text unchanged).
"""

import re

from django.db import migrations

TEXTS = {
    "inactive": ("not active", "ei ole aktiivinen", "är inte aktiv"),
    "supplier_inactive": (
        "the supplier is not active",
        "toimittaja ei ole aktiivinen",
        "leverantören är inte aktiv",
    ),
    "language": (
        "does not work in the case's language",
        "ei työskentele sparrauksen kielellä",
        "arbetar inte på sparrningens språk",
    ),
    "theme": ("does not cover the theme", "ei kata teemaa", "täcker inte temat"),
    "region": (
        "does not serve the region and does not work remotely",
        "ei palvele maakuntaa eikä työskentele etänä",
        "betjänar inte landskapet och arbetar inte på distans",
    ),
    "unavailable": (
        "unavailable for the whole delivery period",
        "poissa koko toteutusjakson ajan",
        "inte tillgänglig under hela genomförandeperioden",
    ),
    "conflict": (
        "conflict of interest with the organisation",
        "esteellisyys organisaatioon nähden",
        "jäv i förhållande till organisationen",
    ),
    "declined": (
        "declined this case or let the offer expire",
        "on kieltäytynyt tästä sparrauksesta tai antanut tarjouksen vanhentua",
        "har tackat nej till ärendet eller låtit erbjudandet förfalla",
    ),
    "agreement_ends": (
        "the agreement ends before the delivery period",
        "puitejärjestely päättyy ennen toteutusjaksoa",
        "ramavtalet upphör före genomförandeperioden",
    ),
}
CODES = {text: code for code, texts in TEXTS.items() for text in texts}
CAPACITY = [
    re.compile(r"^no capacity: (\d+) of (\d+) days committed$"),
    re.compile(r"^ei kapasiteettia: (\d+)/(\d+) päivää sidottu$"),
    re.compile(r"^ingen kapacitet: (\d+) av (\d+) dagar bundna$"),
]


def to_code(reason):
    """One stored reason as a code (a dict), or unchanged when it is one already or unknown."""
    if not isinstance(reason, str):
        return reason
    if reason in CODES:
        return {"code": CODES[reason]}
    for pattern in CAPACITY:
        match = pattern.match(reason)
        if match:
            return {"code": "capacity", "load": int(match[1]), "capacity": int(match[2])}
    return reason


def forwards(apps, schema_editor):
    CallOff = apps.get_model("procurement", "CallOff")
    for record in CallOff.objects.only("pk", "candidates").iterator():
        changed = False
        for candidate in record.candidates or []:
            new = [to_code(r) for r in candidate.get("reasons") or []]
            if new != candidate.get("reasons"):
                candidate["reasons"] = new
                changed = True
        if changed:
            CallOff.objects.filter(pk=record.pk).update(candidates=record.candidates)


class Migration(migrations.Migration):
    dependencies = [("procurement", "0009_business_id_field")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
