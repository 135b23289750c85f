"""Every request of a signed-in person: the session's time limits and the second factor.

``AccountSecurityMiddleware`` comes after Django's authentication middleware. For a
session started by a password login (``security.login_started``):

* idle too long or past its absolute lifetime: logged out and sent to the login
  page with a message saying why;
* a person who needs a second factor and has not given it yet: every page but the
  second-factor pages, logging out and switching the language answers with a
  redirect there (or 403 for a non-GET request).
"""

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from . import security

# Pages a person between the password and the second factor may open.
OPEN_WHILE_PENDING = (
    "second_factor",
    "second_factor_enrol",
    "logout",
    "set_language",
    "javascript-catalog",
)


class AccountSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if security.session_expired(request):
                logout(request)
                messages.info(
                    request, _("You were logged out because the session expired. Log in again.")
                )
                return redirect(f"{reverse('login')}?{_next_query(request.path)}")
            if request.session.get(security.SESSION_SECOND_FACTOR) == (
                security.SECOND_FACTOR_PENDING
            ):
                allowed = {reverse(name) for name in OPEN_WHILE_PENDING}
                if request.path not in allowed:
                    if request.method not in ("GET", "HEAD"):
                        return HttpResponseForbidden()
                    target = reverse("second_factor")
                    if url_has_allowed_host_and_scheme(
                        request.get_full_path(), allowed_hosts={request.get_host()}
                    ):
                        target += "?" + _next_query(request.get_full_path())
                    return redirect(target)
        return self.get_response(request)


def _next_query(path: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": path})
