"""Forms of signing in: the password reset that sends through the outbox."""

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from sparring.emails import email_queue


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, sending through the outbox in the user's own language.

    The answer is the same whether or not the address is known, so the page
    does not reveal who has an account.
    """

    error_messages = {
        "invalid": _("Enter the e-mail address you log in with, for example name@municipality.fi.")
    }

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        context = {**context, "site_name": settings.SITE_NAME}
        email_queue(
            to=to_email,
            template="password_reset",
            context=context,
            language=context["user"].language,
        )


# ==============================================================================
# The case
# ==============================================================================
