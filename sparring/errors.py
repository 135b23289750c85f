"""The error page for a dependency that is down: 503 with Retry-After, never a hang.

Django calls ``server_error`` (``handler500`` in ``config.urls``) for any
uncaught exception. When the exception says the database, Redis or the broker
is unavailable (``sparring.background.is_infrastructure_error``), the answer is
a translated "try again in a moment" page with status 503 and ``Retry-After``;
anything else is the usual 500 page. The page is rendered without the request
context, so it needs neither the database (the session, the user) nor the cache.
"""

import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

from .background import is_infrastructure_error

RETRY_AFTER = 30  # seconds, in the Retry-After header


def server_error(request: HttpRequest) -> HttpResponse:
    """Answer an uncaught exception: 503 for a dependency that is down, otherwise 500."""
    exc = sys.exc_info()[1]
    if exc is not None and is_infrastructure_error(exc):
        return service_unavailable(request)
    return defaults.server_error(request)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 page with ``Retry-After`` (seconds)."""
    html = loader.get_template("503.html").render(
        {
            "site_name": settings.SITE_NAME,
            "retry_after": RETRY_AFTER,
            "programme_contact_email": settings.PROGRAMME_CONTACT_EMAIL,
        }
    )
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response
