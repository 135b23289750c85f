"""Finland's regions (maakunnat), by their official codes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    UUSIMAA = "01", _("Uusimaa")
    VARSINAIS_SUOMI = "02", _("Southwest Finland")
    SATAKUNTA = "04", _("Satakunta")
    KANTA_HAME = "05", _("Kanta-Häme")
    PIRKANMAA = "06", _("Pirkanmaa")
    PAIJAT_HAME = "07", _("Päijät-Häme")
    KYMENLAAKSO = "08", _("Kymenlaakso")
    ETELA_KARJALA = "09", _("South Karelia")
    ETELA_SAVO = "10", _("South Savo")
    POHJOIS_SAVO = "11", _("North Savo")
    POHJOIS_KARJALA = "12", _("North Karelia")
    KESKI_SUOMI = "13", _("Central Finland")
    ETELA_POHJANMAA = "14", _("South Ostrobothnia")
    POHJANMAA = "15", _("Ostrobothnia")
    KESKI_POHJANMAA = "16", _("Central Ostrobothnia")
    POHJOIS_POHJANMAA = "17", _("North Ostrobothnia")
    KAINUU = "18", _("Kainuu")
    LAPPI = "19", _("Lapland")
    AHVENANMAA = "21", _("Åland")
