"""Validators for Finnish identifiers, backed by python-stdnum.

The Business ID (Y-tunnus) has one home here: ``normalise_business_id`` turns the
everyday spellings into ``1234567-8``, ``BusinessIdField`` (model) and
``BusinessIdFormField`` (form) apply it to every input, lookup and stored value.
"""

from datetime import date, datetime

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import lookups
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
    """A Business ID (Y-tunnus) in its canonical form ``1234567-8``, whatever its spelling.

    Accepted spellings of ``0101263-6``: ``01012636`` (no dash), ``0101263 6``,
    ``0101263 - 6``, a dash other than the hyphen (``0101263–6``, pasted from a
    word processor), the VAT number ``FI01012636`` in either case, surrounding or
    non-breaking spaces, and ``101263-6`` / ``1012636`` without the leading zero of
    an old six-digit ID (as a spreadsheet drops it): the Finnish Tax Administration
    writes those with a zero in front.

    A value that is not a valid Business ID in any of these spellings is returned
    stripped of surrounding whitespace, unchanged otherwise, for
    ``validate_business_id`` to refuse with its message. Never raises.
    """
    if value is None:
        return value
    text = str(value).strip()
    compact = _compact(text)
    if ytunnus.is_valid(compact):
        return ytunnus.format(compact)
    return text


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


def business_id_taken(model_class, instance) -> ValidationError:
    """The error for a Business ID another record of ``model_class`` has, naming that record.

    Models with a unique ``BusinessIdField`` return it from ``unique_error_message``,
    so a duplicate in any spelling is refused with the existing record's name.
    """
    existing = (
        model_class._default_manager.filter(business_id=instance.business_id)
        .exclude(pk=instance.pk)
        .first()
    )
    return ValidationError(
        _("The Business ID %(business_id)s is already registered: %(name)s."),
        code="unique",
        params={"business_id": instance.business_id, "name": str(existing or "")},
    )


class BusinessIdFormField(forms.CharField):
    """A form's Business ID input: any everyday spelling, cleaned to ``1234567-8``."""

    default_validators = [validate_business_id]

    def __init__(self, **kwargs):
        # room for spellings such as "FI 0101263 - 6"; the cleaned value has 9 characters
        kwargs["max_length"] = max(kwargs.get("max_length") or 0, 20)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_business_id(value) if value else value


class BusinessIdField(models.CharField):
    """A Business ID column: stored as ``1234567-8`` whatever spelling was given.

    Model validation (``full_clean``) and forms normalise the input; saving and
    exact lookups normalise too, so ``filter(business_id="01012636")`` finds
    ``0101263-6`` and a record saved without validation is stored canonically.
    """

    description = _("Business ID")
    default_validators = [validate_business_id]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 9)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_business_id(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return normalise_business_id(value) if isinstance(value, str) and value else value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": BusinessIdFormField, **kwargs})


@BusinessIdField.register_lookup
class BusinessIdContains(lookups.IContains):
    """Searching a Business ID column (staff lists, admin) for an ID in any spelling:
    ``01012636`` finds ``0101263-6``. A part of an ID is searched for as typed."""

    def get_prep_lookup(self):
        if isinstance(self.rhs, str):
            self.rhs = normalise_business_id(self.rhs)
        return super().get_prep_lookup()


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


# ------------------------------------------------------------------------------
# Dates: one sane range for every date anyone enters (issue 15, item 7)
# ------------------------------------------------------------------------------

DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)


def validate_date_in_range(value) -> None:
    """Refuse a date (or the date of a datetime) outside 1.1.2000–31.12.2100.

    Every date in the programme (calls, agreements, days, deadlines) lies well
    inside this range; outside it, arithmetic such as "valid from + 4 years" or a
    time-zone conversion overflows Python's dates (years 1–9999) and would answer 500.

    Args:
        value: a ``date``, a ``datetime`` (its calendar date is compared, without a
            time-zone conversion, which could itself overflow) or None (passes).

    Raises:
        ValidationError: code ``date_range``, naming the range.
    """
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValidationError(
            _("Enter a date between %(min)s and %(max)s."),
            code="date_range",
            params={"min": "1.1.2000", "max": "31.12.2100"},
        )


def limit_date_field(field: forms.Field) -> forms.Field:
    """Add the range validator and the browser's min/max to a date(time) form field."""
    if validate_date_in_range not in field.validators:
        field.validators.append(validate_date_in_range)
    widget = field.widget
    input_type = getattr(widget, "input_type", "")
    if input_type == "date":
        widget.attrs.setdefault("min", DATE_MIN.isoformat())
        widget.attrs.setdefault("max", DATE_MAX.isoformat())
    elif input_type == "datetime-local":
        widget.attrs.setdefault("min", f"{DATE_MIN.isoformat()}T00:00")
        widget.attrs.setdefault("max", f"{DATE_MAX.isoformat()}T23:59")
    return field


class DateFormField(forms.DateField):
    """A form's date field limited to 2000–2100 (``validate_date_in_range``)."""

    default_validators = [validate_date_in_range]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if getattr(widget, "input_type", "") == "date":
            attrs.update(min=DATE_MIN.isoformat(), max=DATE_MAX.isoformat())
        return attrs


class DateTimeFormField(forms.DateTimeField):
    """A form's date-and-time field limited to 2000–2100 (``validate_date_in_range``)."""

    default_validators = [validate_date_in_range]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if getattr(widget, "input_type", "") == "datetime-local":
            attrs.update(min=f"{DATE_MIN.isoformat()}T00:00", max=f"{DATE_MAX.isoformat()}T23:59")
        return attrs


class DateField(models.DateField):
    """A model date limited to 2000–2100 in every form, the admin, /staff/ and the API.

    The range is a validator of the model field (``full_clean``, DRF model
    serializers) and of the form field it makes (ModelForms, the admin, viewflow's
    /staff/ pages), so it is checked before any form's ``clean`` does arithmetic.
    Migrations see a plain ``DateField`` (no schema change).
    """

    default_validators = [validate_date_in_range]

    def formfield(self, **kwargs):
        kwargs.setdefault("form_class", DateFormField)
        return limit_date_field(super().formfield(**kwargs))

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateField", args, kwargs


class DateTimeField(models.DateTimeField):
    """A model date and time limited to 2000–2100; see ``DateField``."""

    default_validators = [validate_date_in_range]

    def formfield(self, **kwargs):
        kwargs.setdefault("form_class", DateTimeFormField)
        return limit_date_field(super().formfield(**kwargs))

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs


def parse_month(value: str | None) -> date | None:
    """The first day of the month ``YYYY-MM`` (2000-01…2100-12), or None if not one.

    Args:
        value: the text of a query parameter such as ``?month=2026-03``.

    Returns:
        ``date(year, month, 1)``, or None for anything else (empty, malformed, a
        month 13, a year outside 2000–2100); never raises.
    """
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        return None
    return first if DATE_MIN <= first <= DATE_MAX else None
