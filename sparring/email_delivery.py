"""Delivering a queued e-mail (the worker side of the outbox in ``sparring.emails``)."""

import re
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from . import clock
from .models import OutboundEmail

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

    The row is locked while sending, so two deliveries of the same message
    never both send it. Once sent, the copy kept has its links and survey codes
    removed (``without_links``). A failure is recorded on the row with its backoff
    (``next_attempt_at``), then raised as ``EmailNotSent``; the reconciliation
    sweep queues the row again when the backoff has passed.
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
            email.next_attempt_at = clock.now() + backoff_after(email.attempts)
        else:
            email.sent_at = clock.now()
            email.last_error = ""
            email.next_attempt_at = None
            email.body_text = without_links(email.body_text)
            email.body_html = without_links(email.body_html)
        email.save(
            update_fields=[
                "attempts",
                "sent_at",
                "last_error",
                "next_attempt_at",
                "body_text",
                "body_html",
            ]
        )
    if failure is not None:
        raise EmailNotSent(email, failure) from failure
    return True


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
