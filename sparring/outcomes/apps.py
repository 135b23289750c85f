from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    """What the sparring led to: development acts published for everyone to read."""

    name = "sparring.outcomes"
    label = "outcomes"
    verbose_name = _("Outcomes")
