from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatisticsConfig(AppConfig):
    """The programme's figures: page, exports, programme_stats; their maintained aggregates."""

    name = "sparring.statistics"
    label = "statistics"
    verbose_name = _("Statistics")

    def ready(self):
        from sparring import aggregates as hook

        from . import aggregates

        hook.register(aggregates.refresh, aggregates.queued)
