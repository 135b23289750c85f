"""Issue 11, in-process: the sweep, infrastructure retries, the outbox backoff, the
background work page, the health endpoint, the 503 page, idempotency by business key.

The same guarantees against real processes and injected faults: tests/integration/test_recovery.py.
"""

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from sparring import background, clock, email_delivery, emails
from sparring.cases import services
from sparring.models import AuditEvent, OutboundEmail
from sparring.reports import rendering
from sparring.reports import services as report_services
from sparring.reports.models import ReportDocument
from sparring.surveys import services as surveys
from sparring.surveys.models import SurveyAnswer
from tests.jobflow.flows import JobProbeFlow, start_probe, start_timer_probe
from tests.jobflow.models import ProbeRun
from workflow import reconcile, selectors

pytestmark = pytest.mark.django_db(transaction=True)
ZERO = timedelta(0)


@pytest.fixture(autouse=True)
def no_throttle_left_over():
    """The sweep's throttle lives in the cache (Redis in services mode): start empty."""
    from django.core.cache import cache

    cache.clear()


def queue_email(to="anna@example.invalid"):
    class _User:
        def get_username(self):
            return "anna"

    with transaction.atomic():
        return emails.email_queue(
            to=to,
            template="password_reset",
            context={
                "site_name": "Sparraus",
                "protocol": "https",
                "domain": "example.invalid",
                "uid": "MQ",
                "token": "t",
                "user": _User(),
            },
        )


# -- dispatch and the sweep ---------------------------------------------------------


def test_a_broker_down_at_commit_leaves_the_job_pending_and_the_sweep_runs_it(broker_down):
    started = time.monotonic()
    process = start_probe(mode="ok")
    email = queue_email()
    assert time.monotonic() - started < 2  # the second dispatch does not even try

    task = Task.objects.get(process=process, flow_task=JobProbeFlow.work)
    assert task.status == STATUS.SCHEDULED
    assert OutboundEmail.objects.get(pk=email.pk).sent_at is None

    broker_down()
    result = reconcile.requeue_pending(scheduled_after=ZERO, email_after=ZERO)

    assert (result.jobs, result.emails, result.not_queued) == (1, 1, 0)
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert ProbeRun.objects.filter(process_id=process.pk).count() == 1
    assert OutboundEmail.objects.get(pk=email.pk).sent_at is not None


def test_the_sweep_leaves_recent_work_alone_and_does_not_repeat_itself(broker_down):
    start_probe(mode="ok")
    queue_email()

    assert reconcile.requeue_pending().total == 0  # younger than the 60 s threshold
    two_minutes_ago = timezone.now() - timedelta(minutes=2)
    Task.objects.filter(flow_task_type="JOB").update(created=two_minutes_ago)
    OutboundEmail.objects.update(created=two_minutes_ago)

    first = reconcile.requeue_pending()  # the broker is still down
    assert first.not_queued == 2
    assert reconcile.requeue_pending().not_queued == 0  # throttled for a while


def test_a_sweep_that_finds_a_running_job_past_the_limit_queues_it_again():
    process = start_probe(mode="ok")
    task = Task.objects.get(process=process, flow_task=JobProbeFlow.work)
    Task.objects.filter(pk=task.pk).update(
        status=STATUS.STARTED, started=timezone.now() - timedelta(minutes=3)
    )

    assert reconcile.requeue_pending().jobs == 1
    task.refresh_from_db()
    assert task.status == STATUS.DONE


def test_the_command_queues_everything_pending_now(broker_down, capsys):
    process = start_probe(mode="ok")
    broker_down()

    call_command("requeue_pending", "--all")

    assert "Queued again: 1 jobs" in capsys.readouterr().out
    process.refresh_from_db()
    assert process.status == PROCESS.DONE


# -- infrastructure errors are retried, the job's own errors fail it ----------------


def test_an_infrastructure_error_in_a_job_is_retried_not_failed():
    process = start_probe(mode="infra_first")

    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert ProbeRun.objects.filter(process_id=process.pk).count() == 2
    assert not AuditEvent.objects.filter(action="job_failed").exists()


def test_the_jobs_own_error_still_fails_it():
    process = start_probe(mode="fail")
    task = Task.objects.get(process=process, flow_task=JobProbeFlow.work)
    assert task.status == STATUS.ERROR


def test_errors_are_told_apart():
    assert background.is_infrastructure_error(OperationalError("server closed the connection"))
    try:
        try:
            raise OperationalError("down")
        except OperationalError as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as wrapped:
        assert background.is_infrastructure_error(wrapped)
    assert not background.is_infrastructure_error(ValueError("bad data"))


# -- the outbox's backoff and resend ---------------------------------------------------


def test_a_failed_delivery_backs_off_and_the_sweep_waits_for_it(monkeypatch):
    real_message = email_delivery._message

    def refusing(email):
        message = real_message(email)
        message.send = lambda: (_ for _ in ()).throw(OSError("SMTP server refused"))
        return message

    monkeypatch.setattr(email_delivery, "_message", refusing)
    email = queue_email()
    email.refresh_from_db()
    assert (email.attempts, email.sent_at) == (1, None)
    assert "SMTP server refused" in email.last_error
    assert email.next_attempt_at > timezone.now() + timedelta(seconds=50)

    assert reconcile.requeue_pending(email_after=ZERO).emails == 0  # in backoff
    monkeypatch.setattr(email_delivery, "_message", real_message)
    with clock.travel(clock.now() + timedelta(minutes=2)):  # the backoff has passed
        assert reconcile.requeue_pending(email_after=ZERO).emails == 1
    email.refresh_from_db()
    assert email.sent_at is not None and email.next_attempt_at is None


def test_backoff_doubles_up_to_an_hour():
    assert email_delivery.backoff_after(1) == timedelta(minutes=1)
    assert email_delivery.backoff_after(3) == timedelta(minutes=4)
    assert email_delivery.backoff_after(20) == timedelta(hours=1)


def test_a_coordinator_resends_a_given_up_email_and_it_is_audited(broker_down, coordinator):
    email = queue_email()
    OutboundEmail.objects.filter(pk=email.pk).update(
        attempts=email_delivery.MAX_ATTEMPTS, last_error="mailbox full"
    )
    assert not emails.email_due(older_than=ZERO).exists()  # given up: waits for a person
    broker_down()

    response = Client()
    response.force_login(coordinator)
    page = response.post(reverse("workflow:resend_email", args=[email.pk]), follow=True)

    assert page.status_code == 200
    assert OutboundEmail.objects.get(pk=email.pk).sent_at is not None
    event = AuditEvent.objects.get(action="email_resent")
    assert event.actor == coordinator and event.comment == "mailbox full"


# -- stuck is visible ---------------------------------------------------------------------


def test_the_background_page_lists_pending_work_with_its_age(broker_down, coordinator):
    process = start_probe(mode="ok")
    email = queue_email()
    OutboundEmail.objects.filter(pk=email.pk).update(last_error="connection refused by smtp")
    timer = start_timer_probe(minutes=-10)  # due ten minutes ago, nobody fired it
    client = Client()
    client.force_login(coordinator)

    page = client.get(reverse("workflow:background"))

    html = page.content.decode()
    task = Task.objects.get(process=process, flow_task=JobProbeFlow.work)
    assert page.status_code == 200
    assert "<td>Work</td>" in html  # the step (a probe process has no case)
    assert "connection refused by smtp" in html
    assert Task.objects.filter(process=timer, flow_task_type="TIMER").exists()
    assert page.context["timers_count"] == 1
    assert page.context["pending_count"] == 1 and page.context["emails_count"] == 1

    broker_down()
    client.post(reverse("workflow:requeue_job", args=[task.pk]))
    assert AuditEvent.objects.filter(action="job_requeued", actor=coordinator).count() == 1
    process.refresh_from_db()
    assert process.status == PROCESS.DONE


@pytest.mark.parametrize("role", ["applicant", "consultant", "steering"])
def test_other_roles_cannot_see_or_touch_background_work(role, users_by_role, broker_down):
    process = start_probe(mode="ok")
    task = Task.objects.get(process=process, flow_task=JobProbeFlow.work)
    email = queue_email()
    client = Client()
    client.force_login(users_by_role[role])

    assert client.get(reverse("workflow:background")).status_code == 403
    assert client.post(reverse("workflow:requeue_job", args=[task.pk])).status_code == 403
    assert client.post(reverse("workflow:resend_email", args=[email.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action__in=["job_requeued", "email_resent"]).exists()


def test_the_coordinator_home_counts_work_needing_attention(coordinator, monkeypatch):
    start_probe(mode="fail")  # failed at once
    monkeypatch.setattr(background, "_broker_down_until", time.monotonic() + 60)
    start_probe(mode="ok")  # stuck: the broker is down
    client = Client()
    client.force_login(coordinator)

    assert client.get(reverse("sparring:coordinator_home")).context["background"].total == 1
    summary = selectors.background_summary(stuck_after=ZERO)
    assert (summary.failed_jobs, summary.stuck_jobs) == (1, 1)


# -- health and the 503 page --------------------------------------------------------------


def test_health_answers_200_with_each_check(client):
    from workflow import heartbeat

    heartbeat.beat_record(heartbeat.WORKER)  # checked in services mode (REDIS_URL)
    heartbeat.beat_record(heartbeat.BEAT)
    response = client.get(reverse("workflow:health"))

    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"]["status"] == "ok" and checks["cache"]["status"] == "ok"
    assert {"broker", "worker", "beat", "background"} <= set(checks)


def test_health_answers_503_when_a_check_fails(client, monkeypatch):
    from workflow import health

    def down():
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", down)
    response = client.get(reverse("workflow:health"))

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["checks"]["database"]["status"] == "failing"


def test_health_tells_a_stale_worker_from_a_live_beat(client, monkeypatch):
    from workflow import health, heartbeat
    from workflow.models import Heartbeat

    monkeypatch.setattr(health, "_services_mode", lambda: True)
    monkeypatch.setitem(health.CHECKS, "broker", lambda: "ok")
    heartbeat.beat_record(heartbeat.BEAT)
    Heartbeat.objects.update_or_create(
        name=heartbeat.WORKER, defaults={"at": timezone.now() - timedelta(minutes=5)}
    )

    response = client.get(reverse("workflow:health"))

    checks = response.json()["checks"]
    assert response.status_code == 503
    assert checks["beat"]["status"] == "ok"
    assert checks["worker"]["status"] == "failing" and "300 s ago" in checks["worker"]["detail"]


def test_a_dependency_down_gives_a_translated_503_page(coordinator, monkeypatch):
    from sparring.cases import home_views as views

    def unavailable(self, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(views.CoordinatorHome, "get_context_data", unavailable)
    client = Client(raise_request_exception=False)
    client.force_login(coordinator)

    response = client.get(reverse("sparring:coordinator_home"), HTTP_ACCEPT_LANGUAGE="fi")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Palvelu ei ole hetkeen käytettävissä" in response.content.decode()


def test_any_other_error_is_still_a_500(coordinator, monkeypatch):
    from sparring.cases import home_views as views

    def broken(self, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(views.CoordinatorHome, "get_context_data", broken)
    client = Client(raise_request_exception=False)
    client.force_login(coordinator)

    assert client.get(reverse("sparring:coordinator_home")).status_code == 500


# -- idempotency by business key ------------------------------------------------------------


def test_a_report_revision_has_one_pdf_whatever_the_retries(reported_case):
    report = reported_case.report
    document = ReportDocument.objects.get(case=reported_case)
    assert document.source == rendering.report_source(report) == f"revision:{report.pk}:1"

    again = rendering.report_render(
        case_id=reported_case.pk, source=rendering.report_source(report)
    )

    assert again.pk == document.pk
    assert ReportDocument.objects.filter(case=reported_case).count() == 1


def test_the_sweeps_report_key_is_the_services_key(reported_case):
    from sparring.reports.models import Report

    Report.objects.filter(pk=reported_case.report.pk).update(revision=2)
    missing = reconcile.missing_report_pdfs(older_than=ZERO).get()
    report = Report.objects.get(pk=reported_case.report.pk)
    assert missing.pdf_source == rendering.report_source(report)


def test_the_case_page_says_the_pdf_is_being_made_while_its_job_waits(
    submitted_case, coordinator, consultant, applicant, broker_down
):
    from tests.conftest import REPORT
    from tests.unit.cases.test_case_flow import fresh, walk_to_delivery

    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    case.days_planned.update(date=timezone.localdate())
    for day in case.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)
    client = Client()
    client.force_login(coordinator)
    client.post(  # switch to English for the assertion
        reverse("set_language"), {"language": "en"}
    )
    report_services.report_submit(
        actor=consultant, case=fresh(case), data=REPORT, version=fresh(case).version
    )

    page = client.get(reverse("sparring:case_detail", args=[case.pk])).content.decode()

    assert "PDF is being made" in page
    assert "Nothing is waiting" not in page


# -- the survey -------------------------------------------------------------------------------


def test_a_survey_form_sent_twice_is_one_answer(reported_case, applicant):
    survey = reported_case.survey
    (code,) = surveys.survey_issue_codes(actor=applicant, case=reported_case, count=1)
    form = Client().post("/survey/", {"code": code}).context["form"]
    token = form.initial["submission_token"]
    data = {"overall": "5", "code": code, "step": "answer", "submission_token": str(token)}

    first = Client().post("/survey/", data)  # the connection drops before the thanks page
    second = Client().post("/survey/", data)

    assert first.status_code == second.status_code == 200
    assert SurveyAnswer.objects.filter(survey=survey).count() == 1
    assert second.context["thanks"]


def test_the_survey_limit_fails_open_when_the_cache_is_down(reported_case, applicant, monkeypatch):
    class DownCache:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("Error 111 connecting to redis")

            return fail

    (code,) = surveys.survey_issue_codes(actor=applicant, case=reported_case, count=1)
    monkeypatch.setattr(surveys, "cache", DownCache())

    response = Client().post("/survey/", {"overall": "4", "code": code, "step": "answer"})

    assert response.status_code == 200
    assert SurveyAnswer.objects.filter(survey=reported_case.survey).count() == 1


# -- the timings that make a dead worker's job come back within about two minutes ----------


def test_limits_fit_inside_the_visibility_timeout():
    from django.conf import settings

    from celery_app import app

    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    scan = (
        settings.CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_interval"]
        * settings.CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_throttle"]
    )
    assert visibility + scan <= 120  # a dead worker's job is retaken within ~2 minutes
    ours = [t for name, t in app.tasks.items() if name.split(".")[0] in {"sparring", "workflow"}]
    assert ours
    for task in ours:
        limit = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        assert limit < visibility, task.name  # a healthy task is never delivered twice
        assert limit < settings.SPARRING_REQUEUE_STARTED_AFTER, task.name
        assert task.ignore_result, task.name  # nobody reads results
        if getattr(task, "autoretry_for", ()):
            assert task.retry_backoff_max < visibility, task.name
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"workflow.tasks.requeue_pending", "workflow.tasks.worker_heartbeat"} <= schedule


def test_the_case_page_still_waits_while_the_pdf_job_has_failed(reported_case, coordinator):
    from sparring.cases import selectors as case_selectors

    task = Task.objects.get(process_id=reported_case.process_id, flow_task_type="JOB")
    Task.objects.filter(pk=task.pk).update(status=STATUS.ERROR)
    assert "render_report" in case_selectors.open_steps(reported_case)


def test_the_outbox_admin_filters_unsent_mail(coordinator):
    client = Client()
    client.force_login(coordinator)
    queue_email()
    OutboundEmail.objects.update(sent_at=None)

    page = client.get("/admin/sparring/outboundemail/?sent_at__isempty=1")

    assert page.status_code == 200
    assert "anna@example.invalid" in page.content.decode()
