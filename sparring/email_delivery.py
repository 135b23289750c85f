"""Delivering a queued e-mail (the worker side of the outbox in ``sparring.emails``)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from . import clock
from .models import OutboundEmail


def email_deliver(*, email_id: int) -> bool:
    """Send one queued message unless it was sent already. Returns True if sent now.

    The row is locked while sending, so two deliveries of the same message
    never both send it. A failure is recorded on the row, then raised for the
    task to retry.
    """
    failure: Exception | None = None
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.sent_at is not None:
            return False
        email.attempts += 1
        try:
            _message(email).send()
        except Exception as exc:
            failure = exc
            email.last_error = str(exc)[:2000]
        else:
            email.sent_at = clock.now()
            email.last_error = ""
        email.save(update_fields=["attempts", "sent_at", "last_error"])
    if failure is not None:
        raise failure
    return True


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
