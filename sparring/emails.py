"""Queueing and delivering e-mail.

A message is made from three templates under ``templates/emails/``:
``<name>.subject.txt``, ``<name>.txt`` and ``<name>.html``, rendered in the
recipient's language. ``email_queue`` stores it in the outbox inside the
caller's transaction and asks Celery to deliver it after commit; the worker
sends it with ``sparring.email_delivery.email_deliver_batch``. ``email_queue_many``
stores the messages of one step (one per recipient) with one INSERT, and every
message queued in one transaction goes to the worker in one task.

The outbox is the truth: a row without ``sent_at`` is pending. Delivery is
idempotent per row (the row is locked while sending and a sent row is never sent
again), so a batch delivered twice sends nothing twice. A failed attempt
records the error and a backoff (``next_attempt_at``); the reconciliation sweep
(``workflow.reconcile``) queues every unsent row whose backoff has passed, so a
message whose Celery message was lost (Redis restarted empty, broker down at
commit) is still delivered. After ``MAX_ATTEMPTS`` failures a row waits for a
coordinator to resend it (``email_resend``).
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import translation

from . import access, clock
from .audit import audit_record
from .background import dispatch
from .email_delivery import MAX_ATTEMPTS
from .models import OutboundEmail

# Queued by name: sparring.tasks imports the worker side, not this module.
DELIVER_EMAILS = "sparring.tasks.deliver_emails"
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

    Returns the saved rows (with their ids). Every message queued in the same
    transaction goes to the worker in one task after commit (``BATCH_SIZE`` messages
    a task at most): one step's e-mail is one insert and one dispatch, whatever the
    number of its recipients.
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
            for chunk in range(0, len(ids), BATCH_SIZE):
                dispatch(DELIVER_EMAILS, args=[ids[chunk : chunk + BATCH_SIZE]])

        self.callbacks.append(dispatch_pending)
        return dispatch_pending


def deliver_after_commit(email_ids: list[int]) -> None:
    """Ask the worker to deliver ``email_ids`` once the transaction commits, together
    with every other message queued in the same transaction (one task, not one each).

    The first commit callback of the transaction sends all of its messages; the
    others find theirs sent. A message is in the batch of the transaction that
    queued it only: outside a transaction it is dispatched at once. Never raises for
    a broker that is down (``background.dispatch``): the sweep queues the rows again.
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


def email_unsent() -> QuerySet[OutboundEmail]:
    """Every message not delivered yet, oldest first (the coordinators' page lists them)."""
    return OutboundEmail.objects.filter(sent_at=None).order_by("created", "pk")


def email_due(*, older_than: timedelta) -> QuerySet[OutboundEmail]:
    """Unsent messages the sweep queues again: created more than ``older_than`` ago,
    out of backoff, and not given up (fewer than ``MAX_ATTEMPTS`` failures)."""
    now = clock.now()  # the outbox's times are on the product's clock
    return email_unsent().filter(
        Q(next_attempt_at=None) | Q(next_attempt_at__lte=now),
        created__lte=now - older_than,
        attempts__lt=MAX_ATTEMPTS,
    )


def email_requeue(*, email_id: int) -> bool:
    """Queue one unsent message for delivery (the sweep); False if the broker is down."""
    return dispatch(DELIVER_EMAILS, args=[[email_id]])


def email_resend(*, actor, email_id: int) -> OutboundEmail:
    """A coordinator sends an unsent message again now: the backoff and the count of
    failures start over. Audited as ``email_resent``.

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
        deliver_after_commit([email.pk])
    return email


class EmailAlreadySent(Exception):
    """The message was delivered meanwhile; nothing to resend."""

    def __init__(self, email: OutboundEmail) -> None:
        super().__init__(f"E-mail {email.pk} was sent at {email.sent_at}")
        self.email = email
