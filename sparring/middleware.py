"""Request middleware of the product."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict


def normalise_line_breaks(text: str) -> str:
    """``text`` with every line break as one LF: CR LF and a lone CR become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class LineBreaksMiddleware:
    """Form fields arrive with LF line breaks, as the browser counted them.

    A browser counts a line break in a ``<textarea>`` as one character against
    its ``maxlength`` but submits it as CR LF (HTML's form encoding). Without this,
    a text pasted up to the limit is refused on the server ("at most 8000
    characters, now 8086"). Normalising the posted form data once, here, makes
    every form's length check (ours, the staff pages', the admin's) agree with
    the browser's, and the text is stored with LF line breaks.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            posted = request.POST
            if any("\r" in value for values in posted.lists() for value in values[1]):
                normalised = QueryDict(mutable=True, encoding=posted.encoding)
                for key, values in posted.lists():
                    normalised.setlist(key, [normalise_line_breaks(v) for v in values])
                normalised._mutable = False
                request.POST = normalised
        return self.get_response(request)


# What the product never uses: no page may ask for these (features Chromium knows).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)


class SecurityHeadersMiddleware:
    """``Cache-Control: no-store`` and ``Permissions-Policy`` on every response of the product.

    Every page of the product is personal (a login, a survey token, an invitation
    link) and every download is private (attachments, report PDFs, exports), so no
    response of Django's may be kept by a browser or a proxy: ``no-store`` unless
    the view set its own ``Cache-Control``. Static files are served by the proxy
    (or WhiteNoise) and keep their own caching. The Content-Security-Policy is set
    by django-csp (``CONTENT_SECURITY_POLICY`` in ``config/settings/base.py``).
    Issue 15, item 4 (ASVS 8.2.1, 14.4).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
