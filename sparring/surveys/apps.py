from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    """The participants' anonymous feedback survey."""

    name = "sparring.surveys"
    label = "surveys"
    verbose_name = _("Feedback surveys")
