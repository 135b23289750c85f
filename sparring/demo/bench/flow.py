"""The flow benchmark's three engines: the real case flow, stock viewflow and a raw-SQL floor.

Each engine takes one case (or one process, or one row) through the same number
of steps and reports, per step, the wall time (ms) and the SQL queries it sent.

* :class:`RealFlow` drives a sparring case from draft to closed through the
  services the forms call (as ``sparring.demo.programme.Replay`` does), on its
  own days of the product's clock, with background work in this process
  (Celery eager), the report PDF stubbed and e-mail kept in memory. E-mail is
  batched as with a broker and workers: the steps' commits queue the debounced
  flush (``sparring.emails.flush_soon``), which is kept, not run, and run once at
  the end of the case as its own step, ``mail`` (what the worker does).
* :class:`StockFlow` is a plain viewflow 2.4 flow (viewflow's own Process and
  Task models, the product's flow lock) of a StartHandle and Handles, each
  completed through the node's ``run`` with a small change to the process data.
* :class:`RawFloor` does per step what any workflow must at least do: in one
  transaction lock the row, update its status and insert a history row.

``manage.py bench_flow`` runs them alternately; ``tests/unit/cases/test_query_budget.py``
uses :class:`QueryCounter` and :class:`RealFlow` to hold the query budget.
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from datetime import time as clock_time
from unittest import mock

from django.db import connection, transaction
from django.test.utils import override_settings
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.status import STATUS

from workflow.lock import flow_lock

#: A tiny valid PDF: the report's PDF is stubbed (its rendering is benchmarked by bench_pdf).
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

MARKER = "bench-flow"


class QueryCounter:
    """Counts (and with ``keep=True`` keeps) the SQL statements sent on the default connection."""

    def __init__(self, keep: bool = False) -> None:
        self.count = 0
        self.commits = 0
        self.keep = keep
        self.statements: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        if self.keep:
            self.statements.append(sql)
        return execute(sql, params, many, context)

    @contextmanager
    def active(self):
        """Count statements and commits (outermost transactions) while the block runs."""
        commit = connection.commit

        def counted_commit():
            self.commits += 1
            return commit()

        connection.commit = counted_commit
        try:
            with connection.execute_wrapper(self):
                yield self
        finally:
            del connection.commit  # the class's method again

    def repeated(self, top: int = 15) -> list[tuple[int, str]]:
        """The most frequent statements (SQL text with its placeholders), most frequent first."""
        return [(n, sql) for sql, n in Counter(self.statements).most_common(top)]


class StepTimer:
    """Times and counts each named step of one case."""

    def __init__(self, keep: bool = False) -> None:
        self.steps: list[dict] = []
        self.keep = keep

    @contextmanager
    def step(self, name: str):
        counter = QueryCounter(keep=self.keep)
        with counter.active():
            started = time.perf_counter()
            yield
            elapsed = (time.perf_counter() - started) * 1000
        self.steps.append(
            {
                "step": name,
                "ms": elapsed,
                "queries": counter.count,
                "commits": counter.commits,
                "sql": counter.statements,
            }
        )


# -- the real flow -------------------------------------------------------------------


@contextmanager
def in_process_background(flushes: list | None = None):
    """Celery eager, mail in memory, the report PDF stubbed, for the block.

    With ``flushes`` (a list), e-mail is batched as with separate workers
    (``SPARRING_EMAIL_BATCHED``): the flushes the commits queue are appended to it
    (their countdowns) instead of being run; the caller runs the flush.
    """
    from celery import current_app

    from sparring import emails

    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        with ExitStack() as stack:
            stack.enter_context(
                override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
            )
            stack.enter_context(
                mock.patch("sparring.reports.pdf.render_pdf", return_value=TINY_PDF)
            )
            if flushes is not None:
                stack.enter_context(override_settings(SPARRING_EMAIL_BATCHED=True))
                dispatch = emails.dispatch

                def to_the_broker(name, *, args, task_id=None, countdown=None):
                    if name == emails.FLUSH_EMAILS:  # queued for the worker, kept
                        flushes.append(countdown)
                        return True
                    return dispatch(name, args=args, task_id=task_id, countdown=countdown)

                stack.enter_context(mock.patch.object(emails, "dispatch", to_the_broker))
            yield
    finally:
        current_app.conf.task_always_eager = eager


class RealFlow:
    """Drives sparring cases draft -> closed through the services, each on its own days.

    The people, agreement and call are made once per database (found again by
    their ``bench-flow`` names) and a consultant once per driver. Each case runs
    on four days of its own on the product's clock, so the driver's cases never
    share their consultant's day and the date rules hold as they do for users.

    E-mail goes as with a broker and workers: the steps queue the debounced flush,
    and the ``mail`` step at the end of the case runs it (the worker's delivery of
    the case's messages, counted in the case's figure). Raises RuntimeError if the
    steps did not queue exactly one flush or a message of the case is left unsent.
    """

    STEPS = (
        "create",
        "submit",
        "decide",
        "call_off",
        "answer",
        "propose",
        "confirm",
        "day_1",
        "day_2",
        "report",
        "feedback_over",
        "close",
    )
    #: The pseudo-step after the case's steps: the worker's flush of the case's e-mail.
    MAIL = "mail"

    def __init__(self) -> None:
        self._setup()

    def _setup(self) -> None:
        from procurement.models import FrameworkAgreement, Supplier
        from procurement.services import agreement_create, consultant_create, supplier_create
        from sparring.accounts.services import organisation_create, user_create
        from sparring.models import Call, Case, Organisation, Theme, User

        self.Case = Case
        with transaction.atomic():
            organisation = Organisation.objects.filter(business_id="0211675-2").first()
            if organisation is None:
                organisation = organisation_create(
                    actor=None,
                    name_fi="Tampereen kaupunki",
                    name_sv="Tammerfors stad",
                    business_id="0211675-2",
                    kind=Organisation.Kind.MUNICIPALITY,
                    municipality_code="837",
                )

            def person(role, username, **extra):
                user = User.objects.filter(username=username).first()
                return user or user_create(
                    actor=None,
                    username=username,
                    email=f"{username}@example.invalid",
                    role=role,
                    password=None,
                    first_name=username.split(".")[0].title(),
                    last_name="Bench",
                    **extra,
                )

            self.applicant = person(
                User.Role.APPLICANT, f"{MARKER}.applicant", organisation=organisation
            )
            self.coordinator = person(User.Role.COORDINATOR, f"{MARKER}.coordinator")
            today = datetime.now().date()
            agreement = FrameworkAgreement.objects.filter(notice_reference="2099-000017").first()
            if agreement is None:
                agreement = agreement_create(
                    actor=None,
                    notice_reference="2099-000017",
                    title="Bench agreement",
                    valid_from=today - timedelta(days=30),
                    valid_until=today + timedelta(days=1400),
                    method="ranking",
                    budget="900000000.00",
                    default_day_price="1100.00",
                )
            supplier = Supplier.objects.filter(business_id=_bench_business_id()).first()
            if supplier is None:
                supplier = supplier_create(
                    actor=None,
                    name="Bench Oy",
                    business_id=_bench_business_id(),
                    ranking_position=1,
                    day_price="1100.00",
                    agreement=agreement,
                )
            # A consultant of this run: its days never meet an earlier run's days.
            runs = User.objects.filter(username__startswith=f"{MARKER}.consultant").count()
            consultant_user = person(User.Role.CONSULTANT, f"{MARKER}.consultant{runs + 1}")
            consultant_create(
                actor=None,
                user=consultant_user,
                supplier=supplier,
                themes=list(Theme.objects.all()),
                languages=["fi", "sv"],
                works_remotely=True,
                capacity_per_month=1000,
                capacity_total=30000,
            )
            self.consultant = consultant_user.consultant
            self.consultant_user = consultant_user
            now = datetime.now().astimezone()
            self.call = Call.objects.filter(title=f"{MARKER} call").first() or Call.objects.create(
                title=f"{MARKER} call",
                description="Bench",
                opens_at=now - timedelta(days=10),
                closes_at=now + timedelta(days=3650),
                delivery_starts=today - timedelta(days=30),
                delivery_ends=today + timedelta(days=3650),
                day_budget=10_000_000,
            )
            self.done = 0

    def run_case(self, keep_sql: bool = False) -> list[dict]:
        """One case draft -> closed; returns its steps (``step``, ``ms``, ``queries``, ``sql``)."""
        from zoneinfo import ZoneInfo

        from django.core.cache import cache

        from sparring import clock, email_delivery, tasks
        from sparring.cases import services
        from sparring.models import OutboundEmail, SessionDay
        from sparring.reports import services as report_services
        from workflow import timers

        helsinki = ZoneInfo("Europe/Helsinki")
        first_day = datetime.now(helsinki).date() + timedelta(days=7 + 4 * self.done)
        self.done += 1

        def at(day, hour, minute=0):
            return datetime.combine(day, clock_time(hour, minute), tzinfo=helsinki)

        days = [first_day + timedelta(days=1), first_day + timedelta(days=2)]
        timer = StepTimer(keep=keep_sql)
        Case = self.Case
        flushes: list = []
        cache.delete(email_delivery.FLUSH_KEY)  # no flush of an earlier run is pending
        first_email = OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first()
        with in_process_background(flushes), clock.travel(at(first_day, 10)) as traveller:
            data = application(self.done)
            with timer.step("create"):
                case = services.case_create(actor=self.applicant, call=self.call, data=data)
            with timer.step("submit"):
                case = services.case_submit(actor=self.applicant, case=case, version=case.version)
            case = as_the_page_reads_it(case.pk)
            with timer.step("decide"):
                services.case_decide(
                    actor=self.coordinator,
                    case=case,
                    decision="approve",
                    comment="",
                    version=case.version,
                    approved_days=2,
                )
            case = as_the_page_reads_it(case.pk)
            with timer.step("call_off"):
                offer = services.case_call_off(
                    actor=self.coordinator,
                    case=case,
                    consultant=self.consultant,
                    justification="Bench",
                    version=case.version,
                )
            with timer.step("answer"):
                services.offer_answer(actor=self.consultant_user, offer=offer, accept=True)
            case = as_the_page_reads_it(case.pk)
            with timer.step("propose"):
                services.schedule_propose(
                    actor=self.consultant_user,
                    case=case,
                    days=[session_day(day) for day in days],
                    version=case.version,
                )
            case = as_the_page_reads_it(case.pk)
            with timer.step("confirm"):
                services.schedule_confirm(
                    actor=self.applicant, case=case, accept=True, comment="", version=case.version
                )
            held = list(SessionDay.objects.filter(case=case).order_by("date"))
            for number, day in enumerate(held, start=1):
                traveller.move_to(at(day.date, 15, 45))
                with timer.step(f"day_{number}"):
                    services.session_day_record(
                        actor=self.consultant_user, day=day, participants=10
                    )
            case = as_the_page_reads_it(case.pk)
            with timer.step("report"):
                report_services.report_submit(
                    actor=self.consultant_user, case=case, data=REPORT, version=case.version
                )
            _due_now(case, "feedback", clock.now())
            with timer.step("feedback_over"):
                timers.fire_due_timers()
            case = as_the_page_reads_it(case.pk)
            with timer.step("close"):
                services.case_close(
                    actor=self.coordinator, case=case, comment="", version=case.version
                )
            if len(flushes) != 1:
                raise RuntimeError(f"the case's steps queued {len(flushes)} e-mail flushes, not 1")
            with timer.step(self.MAIL):
                tasks.flush_emails.apply()  # as the worker runs it, the countdown passed
        case.refresh_from_db()
        if case.status != Case.Status.CLOSED:
            raise RuntimeError(f"bench case {case.pk} ended in {case.status}, not closed")
        unsent = OutboundEmail.objects.filter(pk__gt=first_email or 0, sent_at=None).count()
        if unsent:
            raise RuntimeError(f"bench case {case.pk} left {unsent} e-mails unsent")
        return timer.steps


def as_the_page_reads_it(pk: int):
    """The case as the case page's action view hands it to a step's service
    (``selectors.action_case``: with its call, organisation and process)."""
    from sparring.cases.selectors import ACTION_CASE_RELATED
    from sparring.models import Case

    return Case.objects.select_related(*ACTION_CASE_RELATED).get(pk=pk)


def _bench_business_id() -> str:
    from sparring.demo import data as demo

    return demo.business_id(17017)


def _due_now(case, node_name: str, now) -> None:
    """Make the case's waiting timer of ``node_name`` due (the bench does not wait for it)."""
    from viewflow.workflow.models import Task

    Task.objects.filter(
        process_id=case.process_id, flow_task__endswith=f".{node_name}", status=STATUS.SCHEDULED
    ).update(scheduled=now - timedelta(seconds=1))


def application(n: int) -> dict:
    """An application's data (``flowcases.application``), its contact marked as the bench's."""
    from .flowcases import application as valid_application

    return {**valid_application(n), "contact_email": f"{MARKER}.{n}@example.invalid"}


def session_day(day) -> dict:
    """One proposed day 9:00-15:30 (any weekday: the bench runs on every day of the week)."""
    return {
        "date": day,
        "start_time": clock_time(9, 0),
        "end_time": clock_time(15, 30),
        "place": "Kaupungintalo",
        "non_working_confirmed": True,
    }


REPORT = {
    "participants": 20,
    "refined_goal": "Työnjaon selkiyttäminen",
    "implementation": "Kaksi työpajaa",
    "themes_covered": "Kuormitus, työnjako",
    "results": "Yhteiset pelisäännöt",
    "follow_up": "Seurantapalaveri keväällä",
}


# -- stock viewflow ------------------------------------------------------------------


class StockViewflow(flow.Flow):
    """Stock viewflow: a StartHandle and eleven Handles in a row (no timers, no business rows)."""

    lock_impl = flow_lock

    start = flow.StartHandle(this.begin).Next(this.step_1)
    step_1 = flow.Handle(this.change).Next(this.step_2)
    step_2 = flow.Handle(this.change).Next(this.step_3)
    step_3 = flow.Handle(this.change).Next(this.step_4)
    step_4 = flow.Handle(this.change).Next(this.step_5)
    step_5 = flow.Handle(this.change).Next(this.step_6)
    step_6 = flow.Handle(this.change).Next(this.step_7)
    step_7 = flow.Handle(this.change).Next(this.step_8)
    step_8 = flow.Handle(this.change).Next(this.step_9)
    step_9 = flow.Handle(this.change).Next(this.step_10)
    step_10 = flow.Handle(this.change).Next(this.step_11)
    step_11 = flow.Handle(this.change).Next(this.end)
    end = flow.End()

    def begin(self, activation, n):
        activation.process.data = {"n": n, "status": "started"}
        activation.process.save()
        return activation.process

    def change(self, activation, status):
        activation.process.data["status"] = status
        activation.process.save()


class StockFlow:
    """Runs :class:`StockViewflow` processes, one step per real step."""

    STEP_NODES = [f"step_{n}" for n in range(1, 12)]

    def __init__(self) -> None:
        self.n = 0

    def run_case(self, keep_sql: bool = False) -> list[dict]:
        """One process start -> end; returns its steps like :meth:`RealFlow.run_case`."""
        flow_class = StockViewflow
        timer = StepTimer(keep=keep_sql)
        self.n += 1
        with timer.step("start"):
            process = flow_class.start.run(n=self.n)
        for name in self.STEP_NODES:
            with timer.step(name):
                node = getattr(flow_class, name)
                task = (
                    flow_class.task_class._default_manager.filter(
                        process_id=process.pk, flow_task=node, status=STATUS.NEW
                    )
                    .order_by("-pk")
                    .first()
                )
                node.run(task, status=name)
        return timer.steps


# -- the raw-SQL floor ---------------------------------------------------------------


class RawFloor:
    """Per step: BEGIN; SELECT ... FOR UPDATE; UPDATE status; INSERT history; COMMIT."""

    TABLE = "bench_flow_floor"
    HISTORY = "bench_flow_floor_history"

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.select = "SELECT status, version FROM bench_flow_floor WHERE id = %s"
        if connection.vendor == "postgresql":
            self.select += " FOR UPDATE"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.TABLE} "
                "(id integer PRIMARY KEY, status varchar(20) NOT NULL, version integer NOT NULL)"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.HISTORY} (case_id integer NOT NULL, "
                "status varchar(20) NOT NULL, at varchar(40) NOT NULL)"
            )
        self.n = 0

    def drop(self) -> None:
        """Drop the floor's tables."""
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.HISTORY}")
            cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")

    def run_case(self, keep_sql: bool = False) -> list[dict]:
        """One row through ``steps`` status changes; returns its steps."""
        timer = StepTimer(keep=keep_sql)
        self.n += 1
        row = self.n
        for number in range(self.steps):
            status = f"s{number}"
            with timer.step(f"step_{number}"), transaction.atomic(), connection.cursor() as cursor:
                if number == 0:
                    cursor.execute(
                        "INSERT INTO bench_flow_floor (id, status, version) VALUES (%s, %s, 1)",
                        [row, status],
                    )
                else:
                    cursor.execute(
                        self.select,
                        [row],
                    )
                    _status, version = cursor.fetchone()
                    cursor.execute(
                        "UPDATE bench_flow_floor SET status = %s, version = %s WHERE id = %s",
                        [status, version + 1, row],
                    )
                cursor.execute(
                    "INSERT INTO bench_flow_floor_history (case_id, status, at) VALUES (%s, %s, %s)",
                    [row, status, datetime.now().isoformat()],
                )
        return timer.steps
