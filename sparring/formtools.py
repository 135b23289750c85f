"""Small helpers the pages share for forms."""

from django.core.exceptions import ValidationError


def add_errors(form, error: ValidationError) -> None:
    """Show a service's ``ValidationError`` on ``form``: on its fields where they exist.

    Args:
        form: a bound Django form.
        error: raised by a service, with a field dictionary or a plain list of messages.
    """
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
