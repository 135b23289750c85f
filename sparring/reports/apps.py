from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """The consultant's report and its PDF."""

    name = "sparring.reports"
    label = "reports"
    verbose_name = _("Reports")
