"""Time the coordinator's unfiltered case list export in-process (session 9).

Run with ``DJANGO_SETTINGS_MODULE=config.settings.bench``, ``DATABASE_URL`` of the big
database and ``PYTHONPATH`` of the checkout to measure (the old code in another
checkout, for A/B in alternate processes). Reads only: the session is a signed cookie
(no session row), like ``server.signed_in`` otherwise.

Prints one JSON line: seconds to the first byte and to the last, bytes, rows, and the
process's peak resident memory before and after (``resource.getrusage``, MiB).
"""

import json
import resource
import sys
import time


def main(username: str = "bench.koordinaattori1", path: str = "/cases/export.csv") -> dict:
    """Args: the user to export as, the export's path. Returns the figures printed."""
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.test import Client

    from sparring.models import User

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    user = User.objects.get(username=username)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "sparring.accounts.backends.CaseInsensitiveModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    client.get("/cases/?q=zzzz")  # warm-up: connection, translations, templates
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    response = client.get(path)
    size, first, rows = 0, None, 0
    parts = response.streaming_content if response.streaming else [response.content]
    for part in parts:
        if first is None:
            first = time.perf_counter() - start
        size += len(part)
        rows += part.count(b"\n")
    total = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "status": response.status_code,
        "streaming": response.streaming,
        "ttfb_s": round(first, 3),
        "total_s": round(total, 2),
        "bytes": size,
        "lines": rows,
        "maxrss_before_mib": round(before),
        "maxrss_after_mib": round(after),
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
