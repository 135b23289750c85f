from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """The case: states, steps, services, pages of the application and its days."""

    name = "sparring.cases"
    label = "cases"
    verbose_name = _("Cases")
