from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """People and organisations: creating them, signing in."""

    name = "sparring.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import signals

        user_logged_in.connect(signals.on_logged_in, dispatch_uid="sparring_login_started")
        user_login_failed.connect(signals.on_login_failed, dispatch_uid="sparring_login_failed")
