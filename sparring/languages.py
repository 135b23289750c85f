"""Which language a page is in: the reader's choice, else their own, else the case's.

- A person who logs in gets the pages in their own language (``User.language``),
  whatever the browser had before; the choice is kept in the language cookie, so
  every later page stays in it until they switch (the language switcher sets the
  cookie). A logged-in person without the cookie (a new browser session) gets
  their own language again.
- A page about one case that anyone may open without an account (the survey)
  is in the case's language unless the visitor has chosen one with the switcher.

LocaleMiddleware reads the cookie first; ``UserLanguageMiddleware`` (after the
authentication middleware) fills in the rest.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import translation

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def _activate(request: HttpRequest, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = translation.get_language()


def visitor_chose_language(request: HttpRequest) -> bool:
    """True when the browser carries a language the visitor (or their login) chose."""
    return request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) in SUPPORTED


def activate_case_language(request: HttpRequest, case) -> None:
    """The rest of this request in ``case.language``, unless the visitor chose a language."""
    if not visitor_chose_language(request) and case.language in SUPPORTED:
        _activate(request, case.language)


@receiver(user_logged_in, dispatch_uid="sparring_user_language")
def apply_user_language(sender, request, user, **kwargs) -> None:
    """At login, the person's own language for this response and, by the cookie, after it."""
    if request is None or getattr(user, "language", None) not in SUPPORTED:
        return
    _activate(request, user.language)
    request.sparring_set_language = user.language


class UserLanguageMiddleware:
    """Applies a logged-in person's language when the browser has no language cookie,
    and sets the cookie when the login chose it (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not visitor_chose_language(request)
            and getattr(user, "language", None) in SUPPORTED
        ):
            _activate(request, user.language)
            request.sparring_set_language = user.language
        response = self.get_response(request)
        language = getattr(request, "sparring_set_language", None)
        # the language switcher's own cookie (set_language) wins over this one
        if language and settings.LANGUAGE_COOKIE_NAME not in response.cookies:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
