from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API (/api/v1/), its personal tokens and the OCDS open-data export."""

    name = "sparring.api"
    label = "api"
    verbose_name = _("REST API")
