"""Sectors and themes of the 2021–2022 programme (shared/reference/programme-facts.md).

Finnish names are the programme's own; Swedish and English are the product's.
Coordinators can edit them afterwards; this migration only adds what is missing.
"""

from django.db import migrations

SECTORS = [
    ("social-health", "Sosiaali- ja terveysala", "Social- och hälsovård", "Social and health care"),
    ("education", "Opetus ja kasvatus", "Undervisning och fostran", "Education and early childhood education"),
    ("finance-administration", "Talous ja hallinto", "Ekonomi och förvaltning", "Finance and administration"),
    ("leisure-culture-youth", "Vapaa-aika, kulttuuri ja nuoriso", "Fritid, kultur och ungdom", "Leisure, culture and youth"),
    ("vitality-employment", "Elinvoima ja työllisyys", "Livskraft och sysselsättning", "Vitality and employment"),
    ("supervisory-work", "Esihenkilötyö", "Chefsarbete", "Supervisory work"),
    ("cleaning-catering", "Puhtaus ja ravitsemus", "Rengöring och kosthåll", "Cleaning and catering"),
    ("occupational-safety", "Työsuojeluorganisaatio", "Arbetarskyddsorganisation", "Occupational safety organisation"),
    ("transport", "Liikenne", "Trafik", "Transport"),
    ("waste-management", "Jätehuolto", "Avfallshantering", "Waste management"),
]
THEMES = [
    ("work-community", "Työyhteisön ja toimintakulttuurin kehittäminen", "Utveckling av arbetsgemenskapen och verksamhetskulturen", "Developing the work community and culture"),
    ("workload-wellbeing", "Työn kuormitus ja työhyvinvointi", "Arbetsbelastning och välbefinnande i arbetet", "Workload and wellbeing at work"),
    ("co-development", "Yhdessä kehittäminen ja osallisuus", "Gemensam utveckling och delaktighet", "Co-development and participation"),
    ("processes-services", "Prosessit, palvelut ja asiakaslähtöisyys", "Processer, tjänster och kundorientering", "Processes, services and customer focus"),
    ("remote-work", "Etätyön ja -palvelujen kehittäminen", "Utveckling av distansarbete och distanstjänster", "Remote work and remote services"),
    ("digitalisation", "Digitalisaatio ja uudet toimintatavat", "Digitalisering och nya arbetssätt", "Digitalisation and new ways of working"),
]


def add_reference_data(apps, schema_editor):
    for model_name, rows in (("Sector", SECTORS), ("Theme", THEMES)):
        model = apps.get_model("sparring", model_name)
        for position, (code, fi, sv, en) in enumerate(rows, start=1):
            model.objects.get_or_create(
                code=code, defaults={"name_fi": fi, "name_sv": sv, "name_en": en, "position": position}
            )


class Migration(migrations.Migration):
    dependencies = [("sparring", "0003_case_process_attachment_case_auditevent_case_and_more")]

    operations = [migrations.RunPython(add_reference_data, migrations.RunPython.noop)]
