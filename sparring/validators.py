"""Validators for Finnish identifiers, backed by python-stdnum."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fi import ytunnus


def _compact(value: str) -> str:
    """Digits only, without ``FI``, spaces or the dash; an old six-digit ID gets its leading 0."""
    compact = ytunnus.compact(value or "")
    if len(compact) == 7 and compact.isdigit():
        compact = "0" + compact
    return compact


def normalise_business_id(value: str) -> str:
    """Return a Business ID (Y-tunnus) in its canonical form 1234567-8.

    Accepts the spellings people use: ``12345678``, ``1234567 8``, ``FI12345678``
    (the VAT number), ``123456-7`` (an old ID without its leading zero). Raises
    stdnum's ValidationError for a value that is not a valid Business ID.
    """
    return ytunnus.format(ytunnus.validate(_compact(value)))


def validate_business_id(value: str) -> None:
    """Reject a Business ID whose form or check digit is wrong."""
    try:
        ytunnus.validate(_compact(value))
    except StdnumError as exc:
        raise ValidationError(
            _(
                "%(value)s is not a valid Business ID (check the format 1234567-8 and the check digit)."
            ),
            code="invalid_business_id",
            params={"value": value},
        ) from exc


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length rule with a message of our own, translated in every language."""

    def get_error_message(self) -> str:
        return ngettext(
            "The password is too short: use at least %(min_length)d character.",
            "The password is too short: use at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "Use at least %(min_length)d character.",
            "Use at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
