from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SparringConfig(AppConfig):
    name = "sparring"
    verbose_name = _("Sparring")

    def ready(self) -> None:
        # Register the object-level permission rules (the one place that decides
        # who may see what) once every model is loaded.
        from . import access, languages  # noqa: F401 (languages: the login signal)

        access.register_model_permissions()
        post_migrate.connect(_reinstall_triggers, sender=self)


def _reinstall_triggers(sender, using="default", plan=None, **kwargs):
    """After ``migrate``: put back the step deadline triggers that a table rebuild dropped
    (SQLite), once the column they fill exists (``cases.deadline_triggers``)."""
    from django.db import connections

    from .cases import deadline_triggers

    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    if "sparring_stepdeadline" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, "sparring_stepdeadline")
    if "finished" not in {column.name for column in columns}:
        return  # migrated back before 0024
    if deadline_triggers.installed(connection) != deadline_triggers.expected(connection):
        deadline_triggers.install(connection)
