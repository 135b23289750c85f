"""The product's own failure pages: 400, 403, 404, 500, 503 and the CSRF failure.

Every one extends ``base.html`` (header, skip link, language switcher, one h1, the
footer with the accessibility statement and privacy notice) and is translated.

- 403 and 404 are Django's default handlers finding ``templates/403.html`` and
  ``404.html`` before viewflow's (``DIRS`` come before app templates); they render
  with the request context, so a logged-in user keeps the navigation.
- 400 (``bad_request``), 500 (``server_error``) and 503 are rendered with
  ``safe_context`` only: no context processor, no session, no user, no query, so
  the page appears even when the database is what failed.
- Django calls ``server_error`` (``handler500`` in ``config.urls``) for any
  uncaught exception. When the exception says the database, Redis or the broker
  is unavailable (``sparring.background.is_infrastructure_error``), the answer is
  a translated "try again in a moment" page with status 503 and ``Retry-After``.
- ``csrf_failure`` (``CSRF_FAILURE_VIEW``) replaces Django's English page, whose
  ``lang="en"`` wrapped Finnish text.
"""

import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from .background import is_infrastructure_error

RETRY_AFTER = 30  # seconds, in the Retry-After header


def safe_context(request: HttpRequest) -> dict:
    """What ``base.html`` needs, taken from settings and the request alone.

    No context processor runs, so neither the session, the user nor the database is
    touched: the header shows no navigation, the language switcher and the footer work.
    """
    return {
        "product_name": settings.SITE_NAME,
        "site_name": settings.SITE_NAME,
        "programme_contact_email": settings.PROGRAMME_CONTACT_EMAIL,
        "request": request,
        "csrf_token": get_token(request),
    }


def _render_safely(request: HttpRequest, template_name: str, status: int, **extra) -> HttpResponse:
    html = loader.get_template(template_name).render({**safe_context(request), **extra})
    response = HttpResponse(html, status=status)
    response["Cache-Control"] = "no-store"
    return response


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: a request Django refuses (a suspicious header, an unknown host)."""
    return _render_safely(request, "400.html", 400)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """Answer an uncaught exception: 503 for a dependency that is down, otherwise 500."""
    exc = sys.exc_info()[1]
    if exc is not None and is_infrastructure_error(exc):
        return service_unavailable(request)
    return _render_safely(request, "500.html", 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form sent without a valid security token (status 403).

    Args:
        reason: Django's technical reason; shown only when DEBUG is on.
    """
    context = {"reason": reason if settings.DEBUG else ""}
    return render(request, "403_csrf.html", context, status=403)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 page with ``Retry-After`` (seconds)."""
    response = _render_safely(request, "503.html", 503, retry_after=RETRY_AFTER)
    response["Retry-After"] = str(RETRY_AFTER)
    return response
