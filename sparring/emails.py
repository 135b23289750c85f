"""Queueing and delivering e-mail.

A message is made from three templates under ``templates/emails/``:
``<name>.subject.txt``, ``<name>.txt`` and ``<name>.html``, rendered in the
recipient's language. ``email_queue`` stores it in the outbox inside the
caller's transaction and asks Celery to deliver it after commit.
"""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutboundEmail


def render_email(*, template: str, context: dict[str, Any], language: str) -> dict[str, str]:
    """Render subject, text and HTML of ``template`` in ``language``."""
    with translation.override(language):
        subject = render_to_string(f"emails/{template}.subject.txt", context)
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    return {"subject": " ".join(subject.split()), "body_text": text, "body_html": html}


def email_queue(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str = settings.LANGUAGE_CODE,
    attachments: list[dict[str, str]] | None = None,
) -> OutboundEmail:
    """Store a message in the outbox; it is delivered once the transaction commits."""
    from .tasks import deliver_email

    email = OutboundEmail.objects.create(
        to=to,
        template=template,
        language=language,
        attachments=attachments or [],
        **render_email(template=template, context=context, language=language),
    )
    transaction.on_commit(lambda: deliver_email.delay(email.pk))
    return email


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
            email.sent_at = timezone.now()
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
