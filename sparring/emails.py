"""Queueing and delivering e-mail.

A message is made from three templates under ``templates/emails/``:
``<name>.subject.txt``, ``<name>.txt`` and ``<name>.html``, rendered in the
recipient's language. ``email_queue`` stores it in the outbox inside the
caller's transaction and asks Celery to deliver it after commit; the worker
sends it with ``sparring.email_delivery.email_deliver``.
"""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from .models import OutboundEmail
from .tasks import deliver_email


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
    email = OutboundEmail.objects.create(
        to=to,
        template=template,
        language=language,
        attachments=attachments or [],
        **render_email(template=template, context=context, language=language),
    )
    transaction.on_commit(lambda: deliver_email.delay(email.pk))
    return email
