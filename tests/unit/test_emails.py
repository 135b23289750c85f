"""The outbox: e-mail is sent after commit, once, and kept when sending fails."""

import pytest
from django.core import mail
from django.db import transaction

from sparring import email_delivery, emails
from sparring.models import OutboundEmail

pytestmark = pytest.mark.django_db(transaction=True)

CONTEXT = {
    "user": None,
    "protocol": "https",
    "domain": "sparraus.example",
    "uid": "MQ",
    "token": "abc-123",
    "site_name": "Sparraus",
}


class _User:
    def get_username(self):
        return "anna"


def queue(**kwargs):
    return emails.email_queue(
        to="anna@example.invalid",
        template="password_reset",
        context={**CONTEXT, "user": _User()},
        **kwargs,
    )


def test_nothing_is_sent_when_the_transaction_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the change failed")
    assert OutboundEmail.objects.count() == 0
    assert mail.outbox == []


def test_a_message_is_sent_after_commit_exactly_once():
    with transaction.atomic():
        email = queue(language="en")
        assert mail.outbox == []
    assert len(mail.outbox) == 1
    assert "new password" in mail.outbox[0].subject.lower()

    assert email_delivery.email_deliver(email_id=email.pk) is False
    assert len(mail.outbox) == 1


def test_a_message_is_rendered_in_the_recipients_language():
    queue(language="fi")
    queue(language="sv")
    subjects = [m.subject for m in mail.outbox]
    assert "salasana" in subjects[0].lower()
    assert "lösenord" in subjects[1].lower()


def test_a_failed_send_keeps_the_message_and_the_reason(settings):
    settings.EMAIL_BACKEND = "tests.unit.test_emails.FailingBackend"
    email = queue()
    email.refresh_from_db()
    assert email.sent_at is None
    assert email.attempts >= 1
    assert "mail server down" in email.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert email_delivery.email_deliver(email_id=email.pk) is True
    email.refresh_from_db()
    assert email.sent_at is not None


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("mail server down")
