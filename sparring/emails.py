"""Queueing and delivering e-mail.

A message is made from three templates under ``templates/emails/``:
``<name>.subject.txt``, ``<name>.txt`` and ``<name>.html``, rendered in the
recipient's language. ``email_queue`` stores it in the outbox inside the
caller's transaction and has it delivered after commit. ``email_queue_many``
stores the messages of one step (one per recipient) with one INSERT.

How it is delivered after commit depends on who runs background work
(``delivery_batched``):

* **A broker and separate workers** (Celery not eager): the commit makes sure one
  flush task is queued, ``SPARRING_EMAIL_FLUSH_SECONDS`` later (``flush_soon``), and
  that flush delivers every due row of the outbox in batches
  (``sparring.email_delivery.email_flush``): the steps of those seconds cost one
  locking read and one write-back together instead of two statements each (issue 17).
* **The embedded default** (no broker, tasks in-process): the transaction's messages
  are delivered at once in one task (``deliver_emails``; in a thread for a web request).

The outbox is the truth: a row without ``sent_at`` is pending. Delivery is
idempotent per row (the row is locked while sending and a sent row is never sent
again), so a batch delivered twice sends nothing twice. A failed attempt
records the error and a backoff (``next_attempt_at``); the reconciliation sweep
(``workflow.reconcile``) queues a flush of every unsent row whose backoff has
passed (``flush_now``), so a message whose Celery message was lost (Redis restarted empty, broker down at
commit) is still delivered. After ``MAX_ATTEMPTS`` failures a row waits for a
coordinator to resend it (``email_resend``).
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import translation

from . import access
from .audit import audit_record
from .background import broker_paused, dispatch
from .email_delivery import (
    FLUSH_KEY,
    MAX_ATTEMPTS,  # noqa: F401 (the /jobs/ page reads it here)
    email_due_rows,
    flush_key_timeout,
)
from .models import OutboundEmail

logger = logging.getLogger(__name__)

# Queued by name: sparring.tasks imports the worker side, not this module.
DELIVER_EMAILS = "sparring.tasks.deliver_emails"
FLUSH_EMAILS = "sparring.tasks.flush_emails"
BATCH_SIZE = 25  # messages per delivery task at most (one step's are usually fewer)


def render_email(*, template: str, context: dict[str, Any], language: str) -> dict[str, str]:
    """Render subject, text and HTML of ``template`` in ``language``."""
    with translation.override(language):
        subject = render_to_string(f"emails/{template}.subject.txt", context)
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    # One line, no stray whitespace (a translation or an empty value can leave some),
    # and no longer than the outbox's column: a long organisation name must not fail
    # the step that sends the message.
    subject = " ".join(subject.split())
    limit = OutboundEmail._meta.get_field("subject").max_length
    if len(subject) > limit:
        subject = subject[: limit - 1].rstrip() + "…"
    return {"subject": subject, "body_text": text, "body_html": html}


def email_queue(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str = settings.LANGUAGE_CODE,
    attachments: list[dict[str, str]] | None = None,
) -> OutboundEmail:
    """Store a message in the outbox; it is delivered once the transaction commits."""
    email = OutboundEmail(
        to=to,
        template=template,
        language=language,
        attachments=attachments or [],
        **render_email(template=template, context=context, language=language),
    )
    return email_queue_many([email])[0]


def email_queue_many(emails: list[OutboundEmail]) -> list[OutboundEmail]:
    """Store rendered, unsaved messages in the outbox with one INSERT; they are
    delivered together once the transaction commits.

    Args:
        emails: ``OutboundEmail`` instances not saved yet, with ``to``, ``template``,
            ``language``, subject and bodies filled (see ``render_email``).

    Returns the saved rows (with their ids). Delivered after commit
    (``deliver_after_commit``): one step's e-mail is one insert and at most one
    dispatch, whatever the number of its recipients.
    """
    if not emails:
        return []
    saved = OutboundEmail.objects.bulk_create(emails)
    deliver_after_commit([email.pk for email in saved])
    return saved


class _Batch:
    """The outbox rows queued in one transaction, dispatched by its first commit callback."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.dispatched: set[int] = set()
        self.callbacks: list[Callable[[], None]] = []

    def pending_in(self, connection) -> bool:
        # Django keeps the callbacks of the open transaction as (savepoints, callback,
        # robust); a commit or rollback empties the list, a rolled-back savepoint
        # removes its own.
        return any(
            entry[1] is callback
            for entry in connection.run_on_commit
            for callback in self.callbacks
        )

    def callback_from(self, start: int) -> Callable[[], None]:
        def dispatch_pending() -> None:
            ids = [pk for pk in self.ids[start:] if pk not in self.dispatched]
            self.dispatched.update(ids)
            if ids and delivery_batched():
                flush_soon()
                return
            for chunk in range(0, len(ids), BATCH_SIZE):
                dispatch(DELIVER_EMAILS, args=[ids[chunk : chunk + BATCH_SIZE]])

        self.callbacks.append(dispatch_pending)
        return dispatch_pending


def deliver_after_commit(email_ids: list[int]) -> None:
    """Have ``email_ids`` delivered once the transaction commits, together with every
    other message queued in the same transaction.

    With workers (``delivery_batched``) the commit makes sure a flush is queued
    (``flush_soon``: one for the steps of a few seconds); in the embedded default the
    transaction's messages go in one task (``BATCH_SIZE`` messages a task at most).
    The first commit callback of the transaction handles all of its messages; the
    others find theirs handled. A message is in the batch of the transaction that
    queued it only: outside a transaction it is handled at once. Never raises for
    a broker that is down (``background.dispatch``): the sweep delivers the rows later.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        batch = _Batch()  # no transaction: nothing to wait for
        batch.ids.extend(email_ids)
        batch.callback_from(0)()
        return
    batch = getattr(connection, "_sparring_outbox_batch", None)
    if batch is None or not batch.pending_in(connection):
        batch = _Batch()
        connection._sparring_outbox_batch = batch
    start = len(batch.ids)
    batch.ids.extend(email_ids)
    transaction.on_commit(batch.callback_from(start))


def delivery_batched() -> bool:
    """True when separate workers deliver e-mail, so that deliveries are batched across
    steps by a debounced flush: Celery is not eager (a broker is configured; the
    integration tests switch a running process to it). ``SPARRING_EMAIL_BATCHED``
    True or False overrides that (the flow benchmark measures the worker's batching
    with tasks in-process)."""
    forced = getattr(settings, "SPARRING_EMAIL_BATCHED", None)
    if forced is not None:
        return bool(forced)
    from celery_app import app

    return not app.conf.task_always_eager


def flush_soon() -> bool:
    """Make sure one flush (``sparring.tasks.flush_emails``) is queued, to run
    ``SPARRING_EMAIL_FLUSH_SECONDS`` from now: called after a commit that stored
    messages. The first commit of a window adds ``FLUSH_KEY`` to the cache and queues
    the flush; the others find the key and queue nothing. The flush clears the key
    before it reads the outbox, so a commit during a flush queues the next one.

    Returns False if the broker could not be reached (never raises): the key is then
    removed, so the next commit tries again, and the reconciliation sweep delivers the
    rows; while the broker is known down (``background.broker_paused``) neither the
    cache nor the broker is asked. With the cache down a flush is queued for every
    commit (a flush that finds nothing due costs one query; a row is never sent twice).
    """
    if broker_paused():  # a dispatch just failed: no cache round-trips for nothing
        logger.warning("Broker unavailable: the e-mail is left for the reconciliation sweep")
        return False
    cache_up = True
    try:
        added = cache.add(FLUSH_KEY, 1, timeout=flush_key_timeout())
    except Exception:
        logger.warning("Cache unavailable: an e-mail flush is queued for this commit")
        added, cache_up = True, False
    if not added:
        return True
    if dispatch(FLUSH_EMAILS, args=[], countdown=settings.SPARRING_EMAIL_FLUSH_SECONDS):
        return True
    if cache_up:
        try:
            cache.delete(FLUSH_KEY)
        except Exception:  # the key expires on its own
            logger.debug("Could not remove the e-mail flush's key", exc_info=True)
    return False


def flush_now(*, older_than: timedelta | None = None) -> bool:
    """Queue a flush to run at once (the reconciliation sweep, a flush whose time ran
    out). ``older_than``: deliver only rows created at least that long ago (the sweep
    leaves younger rows to their own delivery). False if the broker is down."""
    args = [] if older_than is None else [older_than.total_seconds()]
    return dispatch(FLUSH_EMAILS, args=args)


def email_unsent() -> QuerySet[OutboundEmail]:
    """Every message not delivered yet, oldest first (the coordinators' page lists them)."""
    return OutboundEmail.objects.filter(sent_at=None).order_by("created", "pk")


def email_due(*, older_than: timedelta) -> QuerySet[OutboundEmail]:
    """Unsent messages the sweep has delivered: created more than ``older_than`` ago,
    out of backoff, and not given up (``email_delivery.email_due_rows``)."""
    return email_due_rows(older_than=older_than).order_by("created", "pk")


def email_resend(*, actor, email_id: int) -> OutboundEmail:
    """A coordinator sends an unsent message again now: the backoff and the count of
    failures start over. Audited as ``email_resent``.

    The message goes in a task of its own after commit (not the debounced flush):
    the coordinator sees it sent on the next page.

    Raises PermissionDenied for anyone but a coordinator, OutboundEmail.DoesNotExist
    for an unknown row and ``EmailAlreadySent`` if it went out meanwhile.
    """
    if not access.is_coordinator(actor):
        raise PermissionDenied
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().get(pk=email_id)
        if email.sent_at is not None:
            raise EmailAlreadySent(email)
        previous = email.attempts
        email.attempts = 0
        email.next_attempt_at = None
        email.save(update_fields=["attempts", "next_attempt_at"])
        audit_record(
            actor=actor,
            action="email_resent",
            subject=email,
            comment=email.last_error[:500],
            data={"template": email.template, "failed_attempts": previous},
        )
        email_id = email.pk
        transaction.on_commit(lambda: dispatch(DELIVER_EMAILS, args=[[email_id]]))
    return email


class EmailAlreadySent(Exception):
    """The message was delivered meanwhile; nothing to resend."""

    def __init__(self, email: OutboundEmail) -> None:
        super().__init__(f"E-mail {email.pk} was sent at {email.sent_at}")
        self.email = email
