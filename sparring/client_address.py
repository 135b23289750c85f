"""The client's address as far as it can be trusted (for rate limits only, never stored).

Behind a reverse proxy every request comes from the proxy's address, so a limit
per ``REMOTE_ADDR`` would count a whole office (and everyone else) as one client.
``SPARRING_TRUSTED_PROXY_HOPS`` says how many proxies of our own stand in front of
the application; each appends the address it received from to the header named
by ``SPARRING_CLIENT_ADDRESS_HEADER`` (``X-Forwarded-For``). The client address is
then the entry that many places from the right: entries further left were written
by the client and are not trusted. 0 (the default, no proxy): ``REMOTE_ADDR``.
docs/operations.md ("Client addresses behind the proxy") has the settings.
"""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The trusted client address of ``request`` (a string; may be empty)."""
    hops = getattr(settings, "SPARRING_TRUSTED_PROXY_HOPS", 0)
    remote = request.META.get("REMOTE_ADDR", "")
    if hops <= 0:
        return remote
    header = getattr(settings, "SPARRING_CLIENT_ADDRESS_HEADER", "HTTP_X_FORWARDED_FOR")
    entries = [part.strip() for part in request.META.get(header, "").split(",") if part.strip()]
    if len(entries) < hops:
        return remote  # not through the expected proxies: the peer is the client
    return entries[-hops]
