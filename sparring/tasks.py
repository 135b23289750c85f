"""Celery tasks of the sparring app: take IDs, call services.

Every task is idempotent and retried on infrastructure errors (see
``sparring.background``); nobody reads their results, so none is stored.
"""

import logging

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
def apply_retention() -> int:
    """Daily (beat): remove what is past its retention period (idempotent).

    Returns the number of rows changed. See ``sparring.retention``.
    """
    from . import retention

    return retention.apply_retention().total()
