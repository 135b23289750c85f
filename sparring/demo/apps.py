from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data, the 2021-2022 replay and the benchmarks (not installed in production)."""

    name = "sparring.demo"
    label = "demo"
    verbose_name = _("Demo and benchmarks")
