"""Many people completing the same step at the same moment, through HTTP (``bench_race``).

Each client first opens the case page (as a person would: the page gives the
CSRF token and the case version its forms carry), then every client waits at a
barrier and all POST the same action at once. Who won is read from the message
each response leaves for the next page (Django's messages cookie): a success
message for the one whose step was taken, a warning ("no longer open", "the
case changed") for the others.
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')

WON, REFUSED, ERROR = "won", "refused", "error"


@dataclass
class Completion:
    """One POST of the action: HTTP status, seconds from send to answer, and its outcome.

    ``outcome``: ``won`` (the step was taken: a success message), ``refused`` (a
    warning or a form error: the step was gone or the page stale), ``error`` (a
    status of 500 or more, no answer, or no message at all).
    """

    status: int
    seconds: float
    outcome: str


@dataclass
class Page:
    """What a client read from the case page before posting: its CSRF token and case version."""

    token: str
    version: int | None


def open_page(client: requests.Session, url: str) -> Page:
    """GET the case page ``url`` with ``client``; its CSRF token and the version its forms carry.

    Raises:
        RuntimeError: the page did not answer 200 or has no form with a CSRF token.
    """
    # A new connection for the POST: gunicorn closes an idle kept-alive one after 2 s,
    # and a POST on a connection it closed fails without a retry.
    response = client.get(url, timeout=60, headers={"Connection": "close"})
    token = _CSRF.search(response.text)
    if response.status_code != 200 or token is None:
        raise RuntimeError(f"{url} answered {response.status_code} without a form")
    version = _VERSION.search(response.text)
    return Page(html.unescape(token.group(1)), int(version.group(1)) if version else None)


def messages_of(response: requests.Response) -> list[tuple[int, str]]:
    """The (level, text) of the messages ``response`` stored in its messages cookie."""
    value = response.cookies.get(CookieStorage.cookie_name)
    if not value:
        return []
    decoded = CookieStorage(HttpRequest())._decode(value) or []
    return [(message.level, str(message.message)) for message in decoded]


def outcome_of(response: requests.Response | None) -> str:
    """``won``, ``refused`` or ``error`` for the answer to one POST of an action (see Completion)."""
    if response is None or response.status_code >= 500:
        return ERROR
    if response.status_code == 400:
        return REFUSED  # a form error: the page again, nothing saved
    levels = {level for level, _text in messages_of(response)}
    if constants.SUCCESS in levels:
        return WON
    if levels & {constants.WARNING, constants.ERROR}:
        return REFUSED
    return ERROR


def post(client: requests.Session, url: str, data: dict, referer: str) -> Completion:
    """POST ``data`` to ``url`` and time it (no redirects followed)."""
    started = time.perf_counter()
    try:
        response = client.post(
            url,
            data=data,
            timeout=120,
            allow_redirects=False,
            # closed after the answer too (it was opened for this POST: nothing timed
            # changes), so that the client's next request never reuses a connection
            # the server has dropped as idle
            headers={"Referer": referer, "Connection": "close"},
        )
    except requests.RequestException:
        response = None
    seconds = time.perf_counter() - started
    return Completion(
        response.status_code if response is not None else 0, seconds, outcome_of(response)
    )


def complete_at_once(
    clients: Sequence[requests.Session], page_url: str, action_url: str, data: dict
) -> list[Completion]:
    """Every client opens ``page_url``, then all POST ``data`` to ``action_url`` at the same moment.

    Args:
        clients: signed-in sessions, one per person (and one thread each).
        page_url: the case page (absolute), read first for the CSRF token and version.
        action_url: the action's address (absolute).
        data: the form's fields; ``csrfmiddlewaretoken`` and ``version`` are added from the page.
    Returns:
        One Completion per client, in the order of ``clients``.
    """
    pages = [open_page(client, page_url) for client in clients]
    barrier = threading.Barrier(len(clients))

    def go(index: int) -> Completion:
        page = pages[index]
        fields = {**data, "csrfmiddlewaretoken": page.token}
        if page.version is not None:
            fields.setdefault("version", page.version)
        barrier.wait()
        return post(clients[index], action_url, fields, page_url)

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(go, range(len(clients))))


def complete_alone(
    client: requests.Session, page_url: str, action_url: str, data: dict
) -> Completion:
    """One client opens ``page_url`` and POSTs ``data`` to ``action_url`` with nobody else acting."""
    return complete_at_once([client], page_url, action_url, data)[0]
