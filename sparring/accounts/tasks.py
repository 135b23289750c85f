"""Celery tasks of the accounts app: take IDs, call services (idempotent)."""

from celery import shared_task

from sparring.background import INFRASTRUCTURE_RETRY


@shared_task(acks_late=True, ignore_result=True, **INFRASTRUCTURE_RETRY)
def password_reset_send(request_id: int) -> int:
    """Look up the accounts of a password reset request and queue their e-mails in the
    outbox (``services.password_reset_send``). Returns the number of e-mails queued."""
    from .services import password_reset_send as send

    return send(request_id=request_id)
