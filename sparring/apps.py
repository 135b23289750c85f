from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SparringConfig(AppConfig):
    name = "sparring"
    verbose_name = _("Sparring")

    def ready(self) -> None:
        # Register the object-level permission rules (the one place that decides
        # who may see what) once every model is loaded.
        from . import access, languages  # noqa: F401 (languages: the login signal)

        access.register_model_permissions()
