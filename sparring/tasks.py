"""Celery tasks of the sparring app: take IDs, call services, retry on failure."""

from celery import shared_task

from . import email_delivery


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=8,
    acks_late=True,
)
def deliver_email(email_id: int) -> bool:
    """Deliver one message of the outbox (idempotent)."""
    return email_delivery.email_deliver(email_id=email_id)
