from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """People and organisations: creating them, signing in."""

    name = "sparring.accounts"
    label = "accounts"
    verbose_name = _("Accounts")
