"""Issue 17 (cheaper transitions): one step's e-mail costs a constant number of queries,
whatever the number of its recipients; it is one outbox INSERT and one delivery task;
a batch delivered twice (the broker redelivering it, the sweep queueing its rows
again) sends nothing twice.

Before (measured on SQLite with this test's step, 3 and 7 recipients): queueing 11
and 19 queries, delivery 12 and 28 queries in 3 and 7 tasks. After: 8 and 8, 4 and 4
in one task.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sparring import email_delivery, emails
from sparring.models import OutboundEmail, User
from sparring.notifications import (
    Recipient,
    applicant_side,
    can_open_case,
    coordinators,
    notify,
    step_people,
    who_can_open_case,
)
from tests.conftest import make_user
from workflow import reconcile

pytestmark = pytest.mark.django_db

ZERO = timedelta(0)


def more_coordinators(count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        make_user(User.Role.COORDINATOR, f"koordinaattori{n}.lisa", language="sv")


def step_recipients(case) -> list[Recipient]:
    return coordinators() + applicant_side(case)


def queue_step(case, capture):
    """Queue one step's e-mail (as a service does, in its transaction); returns the
    queries it took and the after-commit callbacks it left."""
    case = type(case).objects.get(pk=case.pk)  # nothing cached from the fixture
    with capture() as callbacks:
        with CaptureQueriesContext(connection) as queued, transaction.atomic():
            notify("submitted_coordinator", case, step_recipients(case))
    return queued, callbacks


def run(callbacks):
    with CaptureQueriesContext(connection) as delivered:
        for callback in callbacks:
            callback()
    return delivered


def inserts(queries) -> int:
    return sum(
        1 for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "sparring_outbound')
    )


@pytest.fixture
def dispatched(monkeypatch):
    """The delivery tasks handed to the broker (run in-process as the broker would)."""
    calls = []
    real = emails.dispatch

    def recording(name, *, args, task_id=None):
        calls.append((name, args))
        return real(name, args=args, task_id=task_id)

    monkeypatch.setattr(emails, "dispatch", recording)
    return calls


def test_a_step_costs_the_same_queries_for_one_recipient_or_many(
    submitted_case, django_capture_on_commit_callbacks, dispatched
):
    OutboundEmail.objects.all().delete()
    mail.outbox.clear()
    few, few_callbacks = queue_step(submitted_case, django_capture_on_commit_callbacks)
    few_delivery = run(few_callbacks)
    few_count = OutboundEmail.objects.count()

    more_coordinators(4)
    many, many_callbacks = queue_step(submitted_case, django_capture_on_commit_callbacks)
    many_delivery = run(many_callbacks)
    many_count = OutboundEmail.objects.count() - few_count

    assert (few_count, many_count) == (3, 7)
    assert len(few) == len(many), [q["sql"][:90] for q in many.captured_queries]
    assert len(few) <= 8
    assert inserts(few) == inserts(many) == 1
    # one task delivers the step's messages, in a constant number of queries
    assert [len(args[0]) for _name, args in dispatched] == [3, 7]
    assert len(few_delivery) == len(many_delivery) <= 4
    assert len(mail.outbox) == 10
    assert not OutboundEmail.objects.filter(sent_at=None).exists()


def test_each_recipient_still_gets_their_own_language_and_link(
    submitted_case, django_capture_on_commit_callbacks
):
    more_coordinators(2)
    OutboundEmail.objects.all().delete()
    queue_step(submitted_case, django_capture_on_commit_callbacks)
    by_address = {e.to: e for e in OutboundEmail.objects.all()}
    swedish = by_address["koordinaattori0.lisa@example.invalid"]
    assert swedish.language == "sv" and "ansökan" in swedish.subject.lower()
    assert f"/cases/{submitted_case.pk}/" in swedish.body_text
    contact = by_address[submitted_case.contact_email]  # no account: no link to the case
    assert f"/cases/{submitted_case.pk}/" not in contact.body_text


def test_who_can_open_the_case_is_the_rule_of_each_recipient(
    submitted_case, applicant, other_applicant, coordinator, steering
):
    inactive = make_user(User.Role.COORDINATOR, "ville.vanha")
    inactive.is_active = False
    inactive.save()
    recipients = [
        Recipient(coordinator.email, "fi", coordinator),
        Recipient(applicant.email.upper(), "fi"),  # found by address, any case
        Recipient(other_applicant.email, "fi", other_applicant),
        Recipient(steering.email, "fi", steering),
        Recipient(inactive.email, "fi"),
        Recipient("nobody@example.invalid", "fi"),
    ]
    with CaptureQueriesContext(connection) as queries:
        openers = who_can_open_case(recipients, submitted_case)
    assert openers == {coordinator.email, applicant.email}
    # the accounts behind the bare addresses; coordinators and applicants are decided
    # in memory (access.sees_case_in_memory), so no question to the case
    assert len(queries) == 1
    assert [can_open_case(r, submitted_case) for r in recipients] == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]


@pytest.mark.django_db(transaction=True)
def test_a_transaction_queueing_two_messages_sends_one_task(submitted_case, dispatched):
    more_coordinators(2)
    OutboundEmail.objects.all().delete()
    mail.outbox.clear()
    with transaction.atomic():
        notify("offer_accepted_coordinator", submitted_case, coordinators())
        notify("offer_accepted_applicant", submitted_case, applicant_side(submitted_case))
        assert dispatched == [] and mail.outbox == []
    assert [(name, len(args[0])) for name, args in dispatched] == [(emails.DELIVER_EMAILS, 5)]
    assert len(mail.outbox) == 5


@pytest.mark.django_db(transaction=True)
def test_nothing_of_a_rolled_back_savepoint_or_transaction_is_sent(submitted_case, dispatched):
    OutboundEmail.objects.all().delete()
    mail.outbox.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify("closed", submitted_case, applicant_side(submitted_case))
        raise RuntimeError("the step failed")
    assert dispatched == [] and OutboundEmail.objects.count() == 0

    with transaction.atomic():
        notify("submitted_coordinator", submitted_case, coordinators())
        with pytest.raises(RuntimeError), transaction.atomic():
            notify("closed", submitted_case, applicant_side(submitted_case))
            raise RuntimeError("a part failed")
    assert len(dispatched) == 1  # it may name the rolled-back rows: they are not found
    assert [m.to for m in mail.outbox] == [[e.email] for e in coordinators()]
    assert OutboundEmail.objects.filter(sent_at=None).count() == 0


def test_a_batch_delivered_twice_sends_each_message_once(
    submitted_case, django_capture_on_commit_callbacks
):
    more_coordinators(3)
    OutboundEmail.objects.all().delete()
    _queued, callbacks = queue_step(submitted_case, django_capture_on_commit_callbacks)
    ids = list(OutboundEmail.objects.values_list("pk", flat=True))
    mail.outbox.clear()
    first = email_delivery.email_deliver_batch(email_ids=ids)
    assert sorted(first.sent) == sorted(ids) and len(mail.outbox) == len(ids)

    with CaptureQueriesContext(connection) as again:
        second = email_delivery.email_deliver_batch(email_ids=ids)  # the broker redelivers
    run(callbacks)  # and the step's own task comes late
    assert (second.sent, second.skipped) == ([], len(ids))
    assert len(again) <= 3  # one read, nothing written
    # the sweep finds nothing to queue again
    assert reconcile.requeue_pending(email_after=ZERO, throttle=False).emails == 0
    assert len(mail.outbox) == len(ids)


def test_a_lost_batch_is_driven_again_by_the_sweep_and_sent_once(
    submitted_case, django_capture_on_commit_callbacks
):
    """The broker lost the step's task: the rows say the messages are pending."""
    OutboundEmail.objects.all().delete()
    queue_step(submitted_case, django_capture_on_commit_callbacks)  # callbacks never run
    mail.outbox.clear()
    assert reconcile.requeue_pending(email_after=ZERO).emails == 3
    assert len(mail.outbox) == 3
    assert reconcile.requeue_pending(email_after=ZERO, throttle=False).emails == 0
    assert len(mail.outbox) == 3


def test_a_refused_message_does_not_hold_back_the_rest_of_its_batch(
    submitted_case, django_capture_on_commit_callbacks, monkeypatch
):
    OutboundEmail.objects.all().delete()
    _queued, callbacks = queue_step(submitted_case, django_capture_on_commit_callbacks)
    refused = submitted_case.contact_email
    real_message = email_delivery._message

    def refusing(email):
        message = real_message(email)
        if email.to == refused:
            message.send = lambda: (_ for _ in ()).throw(OSError("550 mailbox unavailable"))
        return message

    monkeypatch.setattr(email_delivery, "_message", refusing)
    mail.outbox.clear()
    run(callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        e.to for e in OutboundEmail.objects.exclude(to=refused)
    )
    failed = OutboundEmail.objects.get(to=refused)
    assert (failed.sent_at, failed.attempts) == (None, 1)
    assert "550" in failed.last_error and failed.next_attempt_at is not None
    sent = OutboundEmail.objects.exclude(to=refused)
    assert all(e.sent_at and e.attempts == 1 and not e.next_attempt_at for e in sent)


def test_a_mail_server_that_cannot_be_reached_fails_the_batch_without_trying_each(
    submitted_case, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "tests.unit.test_notification_queries.UnreachableBackend"
    OutboundEmail.objects.all().delete()
    _queued, callbacks = queue_step(submitted_case, django_capture_on_commit_callbacks)
    UnreachableBackend.sends = 0
    run(callbacks)
    assert UnreachableBackend.sends == 0
    rows = list(OutboundEmail.objects.all())
    assert len(rows) == 3
    assert all(r.sent_at is None and "refused" in r.last_error for r in rows)


class UnreachableBackend:
    sends = 0

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        raise ConnectionRefusedError("connection refused")

    def close(self):
        pass

    def send_messages(self, messages):
        UnreachableBackend.sends += 1
        return 0


def test_an_audit_row_is_one_insert(submitted_case, coordinator):
    """No content type look-up, no reload, no SELECT of the actor or the case."""
    from sparring.audit import audit_record

    case = type(submitted_case).objects.get(pk=submitted_case.pk)
    with CaptureQueriesContext(connection) as queries:
        event = audit_record(
            actor=coordinator, action="case_taken", subject=case, case=case, comment="x"
        )
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    assert event.pk and event.case_id == case.pk


def tables_read(queries) -> list[str]:
    return [
        q["sql"].split(" FROM ")[1].split()[0].strip('"')
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and " FROM " in q["sql"]
    ]


def test_a_message_reads_the_consultant_only_if_it_names_them(
    reported_case, django_capture_on_commit_callbacks
):
    case = type(reported_case).objects.get(pk=reported_case.pk)
    recipients = [*applicant_side(case), Recipient("toinen@example.invalid", "sv")]
    with django_capture_on_commit_callbacks(), CaptureQueriesContext(connection) as closed:
        notify("closed", case, recipients)
    assert not [t for t in tables_read(closed) if t.startswith("procurement_")]

    case = type(reported_case).objects.get(pk=reported_case.pk)
    recipients = [*applicant_side(case), Recipient("toinen@example.invalid", "sv")]
    with django_capture_on_commit_callbacks(), CaptureQueriesContext(connection) as named:
        notify("offer_accepted_applicant", case, recipients)
    read = tables_read(named)
    # once for the step, in whichever languages its recipients read
    assert read.count("procurement_consultant") == 1
    assert read.count("procurement_supplier") == 1
    text = OutboundEmail.objects.filter(template="case_event").latest("pk").body_text
    assert str(case.consultant) in text


@pytest.mark.parametrize("contact_has_account", [False, True])
def test_people_read_together_give_the_same_messages_in_one_query(
    submitted_case, applicant, contact_has_account
):
    """``step_people`` reads the coordinators, the applicant and the accounts behind the
    contact address in one query; the messages are those of the parties read one by one
    (issue 17)."""
    more_coordinators(2)
    if contact_has_account:
        make_user(User.Role.APPLICANT, "kontakti", organisation=applicant.organisation)
        User.objects.filter(username="kontakti").update(email=submitted_case.contact_email)

    def messages(read_together: bool):
        OutboundEmail.objects.all().delete()
        case = type(submitted_case).objects.get(pk=submitted_case.pk)
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            if read_together:
                told = step_people(case, coordinators=True)
            else:
                told = coordinators()
            notify("submitted_coordinator", case, told + applicant_side(case))
        sent = sorted(OutboundEmail.objects.values_list("to", "language", "body_text"))
        reads = [q["sql"] for q in queries if 'FROM "sparring_user"' in q["sql"]]
        return sent, len(reads)

    one_by_one, reads_before = messages(read_together=False)
    together, reads_after = messages(read_together=True)
    assert together == one_by_one
    assert reads_after == 1 < reads_before
