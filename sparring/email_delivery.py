"""Delivering queued e-mail (the worker side of the outbox in ``sparring.emails``).

Messages are delivered in batches: one locking read, one connection to the mail
server, one write of every row. ``email_deliver_batch`` delivers given rows (one
transaction's messages in the embedded mode, a coordinator's resend);
``email_flush`` delivers every due unsent row (with a broker and workers, one
debounced flush covers the steps of the last few seconds, issue 17).
"""

import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from . import clock
from .models import OutboundEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # failed attempts before a row waits for a coordinator's resend
FIRST_BACKOFF = timedelta(minutes=1)  # doubled after each failure ...
MAX_BACKOFF = timedelta(hours=1)  # ... up to this


# Any web address (survey codes ride in a link's fragment, reset and invitation tokens in
# its path) and a survey code written out (ABCD-EFGH-JKLM, sparring/surveys/models.py).
LINK = re.compile(r"""https?://[^\s<>"']+""")
SURVEY_CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")
REMOVED = "[…]"


def without_links(text: str) -> str:
    """``text`` with its web addresses and survey codes replaced by ``[…]``.

    A delivered message's copy in the outbox keeps no usable token (issue 13): personal
    survey codes, password-reset and invitation links all travel in links or codes.
    """
    return SURVEY_CODE.sub(REMOVED, LINK.sub(REMOVED, text or ""))


def backoff_after(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (1 min doubling, at most 1 h)."""
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def email_deliver(*, email_id: int) -> bool:
    """Send one queued message unless it was sent already. Returns True if sent now.

    The single-message form of ``email_deliver_batch`` (a resend, a message queued
    before batches existed). Raises ``EmailNotSent`` when the mail server refused it
    or could not be reached; the row keeps the error and its backoff.
    """
    result = email_deliver_batch(email_ids=[email_id])
    if result.failed:
        raise result.failed[0]
    return bool(result.sent)


@dataclass
class BatchResult:
    """What one delivery of a batch did: the rows sent now, the failures recorded,
    and the rows skipped (sent already, gone, or being sent by another worker)."""

    sent: list[int] = field(default_factory=list)
    failed: list["EmailNotSent"] = field(default_factory=list)
    skipped: int = 0


def email_deliver_batch(*, email_ids: Iterable[int]) -> BatchResult:
    """Send the queued messages ``email_ids`` (one step's e-mail), each at most once.

    Costs a constant number of queries whatever the batch's size: one
    ``SELECT … FOR UPDATE SKIP LOCKED`` of the unsent rows and one ``UPDATE`` of them
    all (``write_back``), in one transaction; the messages go through one connection
    to the mail server.

    Idempotent per row (the outbox row is the message's identity): a row sent already
    is not selected, and a row another worker holds is skipped (that worker sends it,
    or records its failure for the sweep). The rows stay locked while sending, so two
    deliveries of the same batch (the broker redelivering it, the sweep queueing a row
    again) never both send a message. A worker killed in the middle of a batch commits
    nothing: the batch's messages are sent again later (at least once, as before for a
    single message).

    A refused message records its error and backoff (``next_attempt_at``) on its row
    and the others are still sent; the failures are returned, not raised. The
    copies kept of the sent ones have their links and survey codes removed
    (``without_links``).
    """
    ids = sorted(set(email_ids))
    result = BatchResult()
    if not ids:
        return result
    with transaction.atomic():
        rows = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, sent_at=None)
            .order_by("pk")
        )
        result.skipped = len(ids) - len(rows)
        _send_locked(rows, result)
    return result


def _send_locked(rows: list[OutboundEmail], result: BatchResult) -> None:
    """Send ``rows`` (locked by the caller's transaction) over one mail server
    connection and write them back in one statement; ``result`` gets what happened."""
    if not rows:
        return
    now = clock.now()
    connection = get_connection()
    opened = _open(connection)
    try:
        for email in rows:
            email.attempts += 1
            try:
                if isinstance(opened, Exception):
                    raise opened
                message = _message(email)
                message.connection = connection
                message.send()
            except Exception as exc:
                email.last_error = str(exc)[:2000]
                email.next_attempt_at = now + backoff_after(email.attempts)
                failure = EmailNotSent(email, exc)
                failure.__cause__ = exc
                result.failed.append(failure)
                if opened is None:
                    _close(connection)  # the next message opens a fresh one
            else:
                email.sent_at = now
                email.last_error = ""
                email.next_attempt_at = None
                email.body_text = without_links(email.body_text)
                email.body_html = without_links(email.body_html)
                result.sent.append(email.pk)
    finally:
        if not isinstance(opened, Exception):
            _close(connection)
    write_back(rows)


# -- the flush: every due row, in batches (with a broker and workers) -------------------

#: The cache key saying a flush is queued and has not started (``sparring.emails.flush_soon``).
FLUSH_KEY = "emails:flush-queued"
#: Rows a flush locks and sends at most in one transaction (one mail server connection).
FLUSH_BATCH = 100
#: Seconds a flush starts new batches for; then it queues the next flush and ends, well
#: within the tasks' 60 s soft time limit (a batch killed mid-way would be sent again).
FLUSH_TIME_BUDGET = 20.0


def flush_key_timeout() -> int:
    """How long the flush's key lives (seconds): the debounce window
    (``SPARRING_EMAIL_FLUSH_SECONDS``) and a minute. A flush that has not started by
    then (its message lost, a long queue) no longer stops a commit from queueing one."""
    return int(settings.SPARRING_EMAIL_FLUSH_SECONDS) + 60


def flush_key_clear() -> None:
    """Forget that a flush is queued: a step committing from now on queues another.
    With the cache down nothing is cleared; the key expires (``flush_key_timeout``)."""
    try:
        cache.delete(FLUSH_KEY)
    except Exception:
        logger.warning("Could not clear the e-mail flush's key", exc_info=True)


def email_due_rows(*, older_than: timedelta | None = None) -> QuerySet[OutboundEmail]:
    """The rows a flush delivers: unsent, out of their backoff (``next_attempt_at``
    empty or passed on the product's clock), not given up (fewer than ``MAX_ATTEMPTS``
    failures; those wait for a coordinator's resend), and with ``older_than`` created
    at least that long ago."""
    now = clock.now()
    rows = OutboundEmail.objects.filter(
        Q(next_attempt_at=None) | Q(next_attempt_at__lte=now),
        sent_at=None,
        attempts__lt=MAX_ATTEMPTS,
    )
    if older_than is not None:
        rows = rows.filter(created__lte=now - older_than)
    return rows


@dataclass
class FlushResult(BatchResult):
    """What one flush did: ``BatchResult``'s counts, its batches, and whether its time
    ran out with rows perhaps left (``more``: the caller queues the next flush)."""

    batches: int = 0
    more: bool = False


def email_flush(*, older_than: timedelta | None = None) -> FlushResult:
    """Deliver every due unsent outbox row (``email_due_rows``), oldest (pk) first, in
    batches of ``FLUSH_BATCH``: per batch one ``SELECT … FOR UPDATE SKIP LOCKED`` and
    one write-back in its own transaction, over one mail server connection
    (``email_deliver_batch``'s sending and idempotency). Loops until a batch comes back
    short, or ``FLUSH_TIME_BUDGET`` seconds have passed (then ``more`` is set).

    Args:
        older_than: deliver only rows created at least this long ago (the
            reconciliation sweep's flush, which leaves younger rows to their own
            flush). None (the debounced flush): first clear ``FLUSH_KEY`` and then
            read, so that a step committing while this flush runs queues a new one
            and no message waits for a flush that already read its rows.

    Never sends a row twice: a row another flush or delivery holds is skipped (that one
    sends it) and a sent row is not selected. A refused message keeps its error and
    backoff (returned in ``failed``), and is not tried again before it is due.
    """
    result = FlushResult()
    if older_than is None:
        flush_key_clear()
    started = time.monotonic()
    after = 0
    while True:
        with transaction.atomic():
            rows = list(
                email_due_rows(older_than=older_than)
                .filter(pk__gt=after)
                .select_for_update(skip_locked=True)
                .order_by("pk")[:FLUSH_BATCH]
            )
            _send_locked(rows, result)
        result.batches += 1
        if len(rows) < FLUSH_BATCH:
            return result
        after = rows[-1].pk
        if time.monotonic() - started >= FLUSH_TIME_BUDGET:
            result.more = True
            return result


UPDATED_FIELDS = ["attempts", "sent_at", "last_error", "next_attempt_at", "body_text", "body_html"]

#: Rows per UPDATE of ``write_back`` (7 parameters a row: well under SQLite's 32 766).
WRITE_BACK_BATCH = 500


def write_back(rows: list[OutboundEmail]) -> None:
    """Write ``UPDATED_FIELDS`` of the outbox ``rows`` in one ``UPDATE … FROM (VALUES …)``.

    The same rows and values as ``OutboundEmail.objects.bulk_update(rows,
    UPDATED_FIELDS)`` (compared in ``tests/unit/test_email_write_back.py``), without
    its ``CASE WHEN pk = … THEN …`` expression per field and row, which Django builds
    and resolves in Python: ~3 ms of CPU for a step's three messages against ~0.3 ms
    here (issue 17). One statement per ``WRITE_BACK_BATCH`` rows; PostgreSQL and
    SQLite (3.33+) both take ``WITH … UPDATE … FROM`` (an older SQLite, which Django
    5.2 still supports from 3.31, gets ``bulk_update``). On PostgreSQL each value is
    cast to its column's type (a column of NULLs would be text otherwise).
    """
    if not rows:
        return
    if connection.vendor == "sqlite" and _sqlite_version() < (3, 33):  # no UPDATE … FROM
        OutboundEmail.objects.bulk_update(rows, UPDATED_FIELDS)
        return
    fields = [OutboundEmail._meta.get_field(name) for name in UPDATED_FIELDS]
    quote = connection.ops.quote_name
    table = quote(OutboundEmail._meta.db_table)
    pk = quote(OutboundEmail._meta.pk.column)
    names = ", ".join(["id"] + [f"v_{f.column}" for f in fields])
    if connection.vendor == "postgresql":
        values = [f"CAST(v.v_{f.column} AS {f.cast_db_type(connection)})" for f in fields]
    else:
        values = [f"v.v_{f.column}" for f in fields]
    assignments = ", ".join(
        f"{quote(f.column)} = {value}" for f, value in zip(fields, values, strict=True)
    )
    row_sql = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BACK_BATCH):
            chunk = rows[start : start + WRITE_BACK_BATCH]
            params = []
            for email in chunk:
                params.append(email.pk)
                params.extend(
                    f.get_db_prep_save(getattr(email, f.attname), connection) for f in fields
                )
            cursor.execute(
                f"WITH v({names}) AS (VALUES {', '.join([row_sql] * len(chunk))}) "  # noqa: S608 (the model's names)
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.id",
                params,
            )


def _sqlite_version() -> tuple[int, ...]:
    import sqlite3

    return sqlite3.sqlite_version_info


def _open(connection) -> Exception | None:
    """Open the connection to the mail server once for the batch; the error if it fails
    (every message of the batch then records it, none is tried)."""
    opener = getattr(connection, "open", None)
    if opener is None:
        return None
    try:
        opener()
    except Exception as exc:
        return exc
    return None


def _close(connection) -> None:
    closer = getattr(connection, "close", None)
    if closer is not None:
        try:
            closer()
        except Exception:  # the messages were accepted; a failed QUIT changes nothing
            logger.debug("Closing the mail server connection failed", exc_info=True)


class EmailNotSent(Exception):
    """The mail server refused or could not be reached; the row keeps the error and its backoff."""

    def __init__(self, email: OutboundEmail, cause: Exception) -> None:
        super().__init__(f"E-mail {email.pk} not sent (attempt {email.attempts}): {cause}")
        self.email = email


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments:
        message.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    return message
