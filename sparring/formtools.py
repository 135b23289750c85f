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


def local_url(request, target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default`` (where to go "next").

    Args:
        request: the request (its host and scheme are the allowed ones).
        target: a posted or queried ``next`` value, any text.
        default: an absolute path to use otherwise.
    Only a path that starts with a single "/" is kept: an address on another host, a
    scheme such as ``javascript:``, or a bare word (which ``redirect`` would take for a
    view name and fail on) gives ``default``.
    """
    from django.utils.http import url_has_allowed_host_and_scheme

    target = (target or "").strip()
    if (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default
