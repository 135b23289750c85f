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
