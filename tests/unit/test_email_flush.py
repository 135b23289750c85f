"""E-mail delivery batched in the worker (issue 17): with a broker and separate workers a
step's commit queues one debounced flush instead of a delivery task of its own; the
flush delivers every due unsent outbox row in bounded batches. The embedded default
(no broker) still delivers at once."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sparring import background, clock, email_delivery, emails, tasks
from sparring.models import OutboundEmail
from workflow import reconcile

pytestmark = pytest.mark.django_db(transaction=True)
ZERO = timedelta(0)


class _User:
    def get_username(self):
        return "anna"


def step(*addresses: str) -> list[int]:
    """One step's transaction: its messages stored with one INSERT, committed."""
    with transaction.atomic():
        rows = [
            OutboundEmail(
                to=address,
                template="password_reset",
                language="en",
                **emails.render_email(
                    template="password_reset",
                    context={
                        "site_name": "Sparraus",
                        "protocol": "https",
                        "domain": "example.invalid",
                        "uid": "MQ",
                        "token": "t",
                        "user": _User(),
                    },
                    language="en",
                ),
            )
            for address in addresses
        ]
        return [email.pk for email in emails.email_queue_many(rows)]


def statements(captured) -> list[str]:
    """The SQL sent, without SQLite's BEGIN IMMEDIATE and COMMIT (PostgreSQL sends none)."""
    return [q["sql"] for q in captured if not q["sql"].startswith(("BEGIN", "COMMIT"))]


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()  # the flush's key lives in the cache (Redis with a broker)
    yield
    cache.clear()


@pytest.fixture
def worker_mode(settings):
    """As with a broker and separate workers: deliveries are batched."""
    settings.SPARRING_EMAIL_BATCHED = True
    return settings


@pytest.fixture
def queued(monkeypatch):
    """The tasks handed to the broker, kept (not run) as a broker would until a worker
    takes them; other tasks than the flush run as before."""
    calls: list[tuple[str, list, float | None]] = []
    real = emails.dispatch

    def recording(name, *, args, task_id=None, countdown=None):
        calls.append((name, args, countdown))
        if name == emails.FLUSH_EMAILS:
            return True
        return real(name, args=args, task_id=task_id)

    monkeypatch.setattr(emails, "dispatch", recording)
    return calls


def flushes(calls) -> int:
    return sum(1 for name, _args, _countdown in calls if name == emails.FLUSH_EMAILS)


def test_steps_in_worker_mode_queue_one_debounced_flush_and_no_task_each(worker_mode, queued):
    worker_mode.SPARRING_EMAIL_FLUSH_SECONDS = 4
    step("a@example.invalid", "b@example.invalid")
    step("c@example.invalid")
    step("d@example.invalid")

    assert queued == [(emails.FLUSH_EMAILS, [], 4)]  # one flush, a few seconds later
    assert mail.outbox == []
    assert OutboundEmail.objects.filter(sent_at=None).count() == 4


def test_the_flush_delivers_many_steps_in_one_batch_with_constant_statements(worker_mode, queued):
    step("a@example.invalid")
    step("b@example.invalid", "c@example.invalid")
    with CaptureQueriesContext(connection) as few:
        assert tasks.flush_emails.apply().get() == 3
    assert sent_to() == ["a@example.invalid", "b@example.invalid", "c@example.invalid"]

    mail.outbox.clear()
    for n in range(6):
        step(f"m{n}@example.invalid", f"n{n}@example.invalid")
    with CaptureQueriesContext(connection) as many:
        assert tasks.flush_emails.apply().get() == 12

    assert len(mail.outbox) == 12
    # one locking read and one write-back, whatever the number of steps and messages
    assert len(statements(few)) == len(statements(many)) == 2
    assert "SKIP LOCKED" in statements(many)[0] or connection.vendor == "sqlite"
    assert not OutboundEmail.objects.filter(sent_at=None).exists()


def test_the_flush_works_through_bounded_batches_until_none_is_left(
    worker_mode, queued, monkeypatch
):
    monkeypatch.setattr(email_delivery, "FLUSH_BATCH", 2)
    step(*[f"p{n}@example.invalid" for n in range(5)])

    with CaptureQueriesContext(connection) as captured:
        result = email_delivery.email_flush()

    assert len(result.sent) == 5 and not result.more
    assert len(mail.outbox) == 5
    # three batches of at most two: a read and a write each (the last read finds one)
    assert len(statements(captured)) == 6


def test_a_flush_out_of_time_queues_the_next_one(worker_mode, queued, monkeypatch):
    monkeypatch.setattr(email_delivery, "FLUSH_BATCH", 2)
    monkeypatch.setattr(email_delivery, "FLUSH_TIME_BUDGET", 0.0)
    step(*[f"q{n}@example.invalid" for n in range(5)])
    queued.clear()

    assert tasks.flush_emails.apply().get() == 2  # one batch, then its time is up
    assert queued == [(emails.FLUSH_EMAILS, [], None)]  # the rest at once, not debounced


def test_a_step_committing_before_the_flush_reads_is_in_it_and_queues_nothing(worker_mode, queued):
    step("a@example.invalid")
    step("b@example.invalid")  # the flush is queued and has not started
    assert flushes(queued) == 1

    tasks.flush_emails.apply()

    assert sent_to() == ["a@example.invalid", "b@example.invalid"]
    assert flushes(queued) == 1


def test_a_step_committing_during_a_flush_gets_a_flush_of_its_own(worker_mode, queued, monkeypatch):
    step("a@example.invalid")
    assert flushes(queued) == 1
    real_clear = email_delivery.flush_key_clear

    def clear_then_a_step_commits():
        real_clear()
        step("late@example.invalid")  # commits while the flush runs

    monkeypatch.setattr(email_delivery, "flush_key_clear", clear_then_a_step_commits)
    tasks.flush_emails.apply()
    monkeypatch.setattr(email_delivery, "flush_key_clear", real_clear)

    assert flushes(queued) == 2  # the key was cleared before the flush read its rows
    assert "a@example.invalid" in sent_to()
    tasks.flush_emails.apply()  # the second flush (it finds anything the first left)
    assert sent_to() == ["a@example.invalid", "late@example.invalid"]
    assert flushes(queued) == 2


def test_the_flushs_key_expires_so_a_lost_flush_does_not_block_the_next(worker_mode, queued):
    step("a@example.invalid")
    assert cache.get(email_delivery.FLUSH_KEY) is not None
    cache.delete(email_delivery.FLUSH_KEY)  # as when its time is up
    step("b@example.invalid")
    assert flushes(queued) == 2
    assert email_delivery.flush_key_timeout() > worker_mode.SPARRING_EMAIL_FLUSH_SECONDS


def test_with_the_broker_down_the_sweep_delivers_the_rows(worker_mode, broker_down):
    ids = step("a@example.invalid", "b@example.invalid")

    assert mail.outbox == []
    assert cache.get(email_delivery.FLUSH_KEY) is None  # the next commit tries again
    assert reconcile.requeue_pending(email_after=ZERO).not_queued == 1  # still down

    broker_down()
    result = reconcile.requeue_pending(email_after=ZERO, throttle=False)

    assert (result.emails, result.not_queued) == (2, 0)
    assert sent_to() == ["a@example.invalid", "b@example.invalid"]
    assert not OutboundEmail.objects.filter(pk__in=ids, sent_at=None).exists()


def test_with_the_broker_known_down_a_commit_does_not_wait_on_the_cache(
    worker_mode, broker_down, monkeypatch
):
    step("a@example.invalid")  # the failed dispatch pauses the broker for a few seconds
    assert background.broker_paused()

    def no_cache(*args, **kwargs):
        raise AssertionError("the cache was asked while the broker is known down")

    monkeypatch.setattr(cache, "add", no_cache)
    monkeypatch.setattr(cache, "delete", no_cache)
    step("b@example.invalid")

    assert mail.outbox == []
    assert OutboundEmail.objects.filter(sent_at=None).count() == 2  # for the sweep


def test_with_the_cache_down_a_commit_still_queues_a_flush(worker_mode, queued, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379 (test)")

    monkeypatch.setattr(cache, "add", down)
    monkeypatch.setattr(cache, "delete", down)
    step("a@example.invalid")
    step("b@example.invalid")
    assert flushes(queued) == 2  # one each: a flush that finds nothing due costs a query

    tasks.flush_emails.apply()
    assert sent_to() == ["a@example.invalid", "b@example.invalid"]


def test_the_sweep_queues_one_flush_for_every_due_row(queued):
    step("a@example.invalid")
    step("b@example.invalid")
    OutboundEmail.objects.update(sent_at=None)  # as if their delivery was lost
    queued.clear()

    result = reconcile.requeue_pending(email_after=ZERO)

    assert result.emails == 2
    assert [(name, countdown) for name, _args, countdown in queued] == [(emails.FLUSH_EMAILS, None)]


def test_the_sweeps_flush_leaves_rows_younger_than_its_threshold_alone(worker_mode, queued):
    old = step("old@example.invalid")
    OutboundEmail.objects.filter(pk__in=old).update(created=clock.now() - timedelta(minutes=5))
    step("new@example.invalid")  # its own flush is queued: the sweep's does not take it

    email_delivery.email_flush(older_than=timedelta(minutes=1))

    assert sent_to() == ["old@example.invalid"]
    assert cache.get(email_delivery.FLUSH_KEY) is not None  # the queued flush is still due


def refusing(monkeypatch):
    real_message = email_delivery._message

    def message(email):
        sent = real_message(email)
        sent.send = lambda: (_ for _ in ()).throw(OSError("SMTP server refused"))
        return sent

    monkeypatch.setattr(email_delivery, "_message", message)
    return real_message


def test_failed_rows_keep_their_backoff_and_are_not_retried_before_due(
    worker_mode, queued, monkeypatch
):
    real_message = refusing(monkeypatch)
    [pk] = step("a@example.invalid")
    [given_up] = step("gone@example.invalid")
    OutboundEmail.objects.filter(pk=given_up).update(
        attempts=email_delivery.MAX_ATTEMPTS, last_error="mailbox full"
    )

    tasks.flush_emails.apply()
    email = OutboundEmail.objects.get(pk=pk)
    assert (email.attempts, email.sent_at) == (1, None)
    assert email.next_attempt_at > clock.now() + timedelta(seconds=50)

    monkeypatch.setattr(email_delivery, "_message", real_message)
    tasks.flush_emails.apply()  # in its backoff: not tried
    assert OutboundEmail.objects.get(pk=pk).attempts == 1 and mail.outbox == []

    with clock.travel(clock.now() + timedelta(minutes=2)):
        tasks.flush_emails.apply()
    email.refresh_from_db()
    assert email.sent_at is not None and email.attempts == 2
    gone = OutboundEmail.objects.get(pk=given_up)
    assert (gone.sent_at, gone.attempts) == (None, email_delivery.MAX_ATTEMPTS)  # a person's


def test_a_coordinators_resend_in_worker_mode_goes_at_once(worker_mode, queued, coordinator):
    [pk] = step("a@example.invalid")
    OutboundEmail.objects.filter(pk=pk).update(
        attempts=email_delivery.MAX_ATTEMPTS, last_error="mailbox full"
    )
    queued.clear()

    emails.email_resend(actor=coordinator, email_id=pk)

    assert [name for name, _args, _countdown in queued] == [emails.DELIVER_EMAILS]
    assert OutboundEmail.objects.get(pk=pk).sent_at is not None


def test_the_embedded_default_still_delivers_at_once(queued):
    assert not emails.delivery_batched()  # Celery eager: no broker, no worker
    step("a@example.invalid", "b@example.invalid")

    assert [name for name, _args, _countdown in queued] == [emails.DELIVER_EMAILS]
    assert sent_to() == ["a@example.invalid", "b@example.invalid"]


def test_worker_mode_follows_celery_unless_set(settings):
    from celery_app import app

    settings.SPARRING_EMAIL_BATCHED = None
    eager = app.conf.task_always_eager
    try:
        app.conf.task_always_eager = False
        assert emails.delivery_batched()
        app.conf.task_always_eager = True
        assert not emails.delivery_batched()
        settings.SPARRING_EMAIL_BATCHED = True
        assert emails.delivery_batched()
    finally:
        app.conf.task_always_eager = eager


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_two_overlapping_flushes_send_nothing_twice(worker_mode, queued, monkeypatch):
    from django.db import connections

    monkeypatch.setattr(email_delivery, "FLUSH_BATCH", 2)
    step(*[f"r{n}@example.invalid" for n in range(5)])
    holding = threading.Event()
    go_on = threading.Event()
    real_message = email_delivery._message
    first = threading.current_thread()

    def message(email):
        if threading.current_thread() is not first and not holding.is_set():
            holding.set()  # the other flush holds its first batch's rows locked
            assert go_on.wait(20)
        return real_message(email)

    monkeypatch.setattr(email_delivery, "_message", message)
    errors: list[BaseException] = []

    def other_flush():
        try:
            email_delivery.email_flush()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    other = threading.Thread(target=other_flush)
    other.start()
    assert holding.wait(20)
    this_one = email_delivery.email_flush()  # skips the locked rows, sends the rest
    go_on.set()
    other.join(30)

    assert not errors
    assert len(this_one.sent) == 3
    assert sent_to() == sorted(f"r{n}@example.invalid" for n in range(5))  # each once
    assert not OutboundEmail.objects.filter(sent_at=None).exists()
