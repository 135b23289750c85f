"""Celery tasks of the sparring app: take IDs, call services.

Every task is idempotent and retried on infrastructure errors (see
``sparring.background``); nobody reads their results, so none is stored.
"""

import logging
from datetime import timedelta

from celery import shared_task

from . import email_delivery
from .background import INFRASTRUCTURE_RETRY

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, **INFRASTRUCTURE_RETRY)
def deliver_email(email_id: int) -> bool:
    """Deliver one message of the outbox (idempotent).

    A refusal or an unreachable mail server is recorded on the row with its
    backoff (``email_delivery.email_deliver``); the reconciliation sweep queues
    the row again when the backoff has passed, so the task itself does not retry it.
    """
    try:
        return email_delivery.email_deliver(email_id=email_id)
    except email_delivery.EmailNotSent as exc:
        logger.warning("%s; retried after %s", exc, exc.email.next_attempt_at)
        return False


@shared_task(acks_late=True, ignore_result=True, **INFRASTRUCTURE_RETRY)
def deliver_emails(email_ids: list[int]) -> int:
    """Deliver one step's messages of the outbox together (idempotent per message).

    Returns how many were sent now. Refusals are recorded on their rows with the
    backoff (``email_delivery.email_deliver_batch``) and left to the sweep, like
    ``deliver_email``. An infrastructure error (the database gone mid-batch) retries
    the whole batch: nothing of it was committed, so a message sent just before may
    go again (at least once, never lost).
    """
    result = email_delivery.email_deliver_batch(email_ids=email_ids)
    for failure in result.failed:
        logger.warning("%s; retried after %s", failure, failure.email.next_attempt_at)
    return len(result.sent)


@shared_task(acks_late=True, ignore_result=True, **INFRASTRUCTURE_RETRY)
def flush_emails(older_than_seconds: float | None = None) -> int:
    """Deliver every due unsent message of the outbox in batches (idempotent per message).

    Queued debounced after the commits of steps (``emails.flush_soon``, with a broker
    and workers) and by the reconciliation sweep (``older_than_seconds``: only rows
    at least that old). Returns how many were sent now. Refusals keep their rows'
    backoff and are logged like ``deliver_emails``; when the flush's time budget runs
    out it queues the next flush at once (``email_delivery.email_flush``).
    """
    from . import emails

    older_than = None if older_than_seconds is None else timedelta(seconds=older_than_seconds)
    result = email_delivery.email_flush(older_than=older_than)
    for failure in result.failed:
        logger.warning("%s; retried after %s", failure, failure.email.next_attempt_at)
    if result.more:
        emails.flush_now(older_than=older_than)
    return len(result.sent)


@shared_task(acks_late=True, ignore_result=True, **INFRASTRUCTURE_RETRY)
def apply_retention() -> int:
    """Daily (beat): remove what is past its retention period (idempotent).

    Returns the number of rows changed. See ``sparring.retention``.
    """
    from . import retention

    return retention.apply_retention().total()
