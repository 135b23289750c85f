from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class StatisticsConfig(AppConfig):
    """The programme's figures: page, exports, programme_stats; their maintained aggregates."""

    name = "sparring.statistics"
    label = "statistics"
    verbose_name = _("Statistics")

    def ready(self):
        from sparring import aggregates as hook

        from . import aggregates, rollup

        hook.register(aggregates.refresh, aggregates.queued, aggregates.current_loads)
        hook.register_invoicing(rollup.invoicing_total)
        post_migrate.connect(_reinstall_triggers, sender=self)


def _reinstall_triggers(sender, using="default", plan=None, **kwargs):
    """After ``migrate``: put back triggers a table rebuild dropped (SQLite), once the
    statistics tables exist (see sparring/statistics/triggers.py)."""
    from django.db import connections

    from . import triggers

    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    if "statistics_figurechange" not in connection.introspection.table_names():
        return
    if triggers.installed(connection) != triggers.expected(connection):
        triggers.install(connection)
