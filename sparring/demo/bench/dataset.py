"""A large generated programme for the list benchmark (issue 17): cases with their flow rows.

:func:`ensure_dataset` fills the database in ``DATABASE_URL`` with ``size`` cases
spread over many organisations (skewed: the two demo cities file the most), the
demo framework (8 suppliers, 11 consultants), three coordinators and a call per
half-year. Each case carries what the real flow would have left behind:

* closed, rejected, withdrawn and cancelled cases: a finished viewflow process and
  every task of the path it took (steps DONE, their deadline timers CANCELED, the
  switches, the report job, the feedback timer, the End), linked through
  ``Task.previous`` as the flow links them, and a ``StepDeadline`` per step;
* open cases (a realistic share at every step): the same up to the step they wait
  at, whose task is NEW with its three deadline timers SCHEDULED and an open
  ``StepDeadline`` (some of them past due);
* offers and call-off records, sparring days, reports, surveys and answers,
  published development acts and conversation messages as the steps imply.

The small set (fewer than ``SMALL_MIX_BELOW`` cases; the benchmark's 10) is not drawn from
``STATUS_WEIGHTS``: a draw of 10 left most lists of the roles the benchmark signs in
as empty (no case waiting for a coordinator, none of the measured applicant's
organisation), so a page's ratio compared a full page with an empty one. Its cases take
the statuses of ``SMALL_MIX`` in turn (every step that some role's task list or home
shows), every other one filed by the first demo organisation (Tampere, the applicant
``lists.prepare`` signs in as), with one consultant (the one ``prepare`` picks: the most
cases), the first coordinator as the handler (the submitted one in nobody's hands: the
queue), a published act for each closed case, the closed
one filed in 2024 and every case's unit and need words that the benchmark's searches
(``lists.PAGES``) look for.
Every list page of every role then has at least one row at 10 cases. The large set is
drawn exactly as before (same seed, same draws).

The rows are inserted in bulk (``bulk_create`` in batches of 5000; the flow's
tasks, their links and the deadlines as multi-row INSERTs with ids given by the
generator), not through the services: this measures reading the data, not the
flow. A marker table ``bench_dataset`` holds the size; running again with the
same size reuses the data, another size replaces the generated rows.
"""

import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from procurement.models import CallOff, Consultant, Offer
from sparring import clock
from sparring.api import case_tally
from sparring.conversation.models import Audience, CaseMessage, Party
from sparring.demo import data as demo
from sparring.models import (
    Call,
    Case,
    Organisation,
    Sector,
    SessionDay,
    StepDeadline,
    Theme,
    User,
)
from sparring.outcomes.models import DevelopmentAct
from sparring.reports.models import Report
from sparring.statistics import aggregates
from sparring.surveys.models import Survey, SurveyAnswer
from sparring.workdays import HELSINKI

BATCH = 5000
MARKER = "bench_dataset"
FLOW = "workflow/flows.SparringFlow"
COORDINATORS = ("bench.koordinaattori1", "bench.koordinaattori2", "bench.koordinaattori3")

#: Status -> weight per 1000 cases: most of a grown programme is closed, every step has some.
STATUS_WEIGHTS = {
    "draft": 10,
    "submitted": 25,
    "returned": 8,
    "rejected": 50,
    "approved": 12,
    "offered": 15,
    "scheduling": 25,
    "delivery": 30,
    "reporting": 20,
    "feedback": 25,
    "closing": 10,
    "closed": 735,
    "withdrawn": 30,
    "cancelled": 5,
}

#: Below this many cases the statuses are ``SMALL_MIX`` in turn (see the module's text).
SMALL_MIX_BELOW = 20
#: The small set's statuses: a case waiting at each step of each role (applicant: amend;
#: coordinator: review, call-off, close; consultant: offer, schedule, deliver, report),
#: the feedback period and closed cases (figures, acts); even places are Tampere's.
SMALL_MIX = (
    "returned",
    "submitted",
    "scheduling",
    "approved",
    "delivery",
    "offered",
    "closed",
    "reporting",
    "closing",
    "feedback",
)

# The flow's Handle steps in order; each has three deadline timers (sparring/workflow/flows.py).
_STEP_ORDER = ["review", "call_off", "offer", "schedule", "confirm", "deliver", "report"]
# status -> (the steps done, the step it waits at or None, how the path ends)
_PATHS: dict[str, tuple[list[str], str | None, str]] = {
    "submitted": ([], "review", "open"),
    "returned": (["review"], "amend", "open"),
    "rejected": (["review"], None, "rejected"),
    "approved": (["review"], "call_off", "open"),
    "offered": (["review", "call_off"], "offer", "open"),
    "scheduling": (["review", "call_off", "offer"], "schedule", "open"),
    "delivery": (["review", "call_off", "offer", "schedule", "confirm"], "deliver", "open"),
    "reporting": (_STEP_ORDER[:6], "report", "open"),
    "feedback": (_STEP_ORDER, None, "feedback"),
    "closing": (_STEP_ORDER, "close", "open"),
    "closed": ([*_STEP_ORDER, "close"], None, "closed"),
    "withdrawn": ([], "review", "stopped"),
    "cancelled": (["review"], "call_off", "stopped"),
}
# Steps followed by a switch node before the next step.
_SWITCH_AFTER = {"review": "review_outcome", "offer": "offer_outcome", "confirm": "confirm_outcome"}
_WITH_CONSULTANT = {
    "offered",
    "scheduling",
    "delivery",
    "reporting",
    "feedback",
    "closing",
    "closed",
}
_DAYS_HELD = {"reporting", "feedback", "closing", "closed"}
_REPORTED = {"feedback", "closing", "closed"}


def _timer_moments(
    step: str, since: datetime, due: datetime, now: datetime
) -> tuple[datetime, datetime, datetime]:
    """When a step's three deadline timers fire, as the flow arms them (``workflow.flows``):
    the first reminder, the second and the escalation (``NEVER`` when the step's rule has
    none). The offer's timers are its expiry, which ends the step when it fires, and its
    two reminders; an offer still open has not expired (its ``Offer.deadline`` is drawn
    after ``now``), so neither has that timer."""
    from sparring.cases import deadlines
    from workflow.flows import NEVER

    first = deadlines.first_reminder_at(step, since, due)
    second = deadlines.second_reminder_at(step, due, since) or NEVER
    if step == "offer":
        return max(due, now + timedelta(days=1)), first, second
    return first, second, deadlines.escalation_at(step, due) or NEVER


class DatasetError(Exception):
    """The database cannot take a generated programme (the message says why)."""


@dataclass
class Dataset:
    """What the generator made (or found): the size and the people the benchmark signs in as."""

    size: int
    seconds: float
    reused: bool


# ------------------------------------------------------------------------------
# The marker
# ------------------------------------------------------------------------------


def _marker_size() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER} (size integer NOT NULL, seconds float NOT NULL)"
        )
        cursor.execute(f"SELECT size FROM {MARKER}")  # noqa: S608 (a constant)
        row = cursor.fetchone()
    return row[0] if row else None


def _set_marker(size: int, seconds: float) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER}")  # noqa: S608 (a constant)
        cursor.execute(f"INSERT INTO {MARKER} (size, seconds) VALUES (%s, %s)", [size, seconds])  # noqa: S608


def _clear() -> None:
    """Remove the generated rows (cases and the flow's rows, with what hangs on them)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE sparring_case, viewflow_process, viewflow_task, procurement_unavailability"
                " CASCADE"
            )
    else:
        with transaction.atomic():
            Case.objects.all().delete()
            Task.previous.through.objects.all().delete()
            Task.objects.all().delete()
            Process.objects.all().delete()


# ------------------------------------------------------------------------------
# Multi-row INSERT with ids from the generator
# ------------------------------------------------------------------------------


def _insert(model_or_table, columns: list[str], rows: list[tuple]) -> None:
    """INSERT ``rows`` into the table in statements of at most ~30 000 parameters."""
    table = model_or_table if isinstance(model_or_table, str) else model_or_table._meta.db_table
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        # COPY: several times faster than multi-row INSERTs for the millions of task rows
        with connection.cursor() as cursor:
            names = ", ".join(quote(c) for c in columns)
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    per_statement = max(1, 30_000 // len(columns))
    head = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES "  # noqa: S608 (our own names)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(head + ", ".join([one] * len(chunk)), [v for r in chunk for v in r])


def _next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")  # noqa: S608
        return cursor.fetchone()[0] + 1


def _reset_sequences(models: Iterable) -> None:
    sql = connection.ops.sequence_reset_sql(_NoStyle(), list(models))
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


class _NoStyle:
    def __getattr__(self, name):
        return lambda text: text


# ------------------------------------------------------------------------------
# The flow's rows of one case
# ------------------------------------------------------------------------------


class _FlowRows:
    """Collects task, link and deadline rows; task ids are given here (``next_id``)."""

    def __init__(self, next_id: int):
        self.next_id = next_id
        self.tasks: list[tuple] = []
        self.links: list[tuple] = []
        self.deadlines: list[tuple] = []
        self.empty = "{}"
        self.job_data = '{"_attempts": 1}'

    def _task(
        self,
        process_id,
        node,
        kind,
        status,
        at,
        *,
        previous=None,
        finished=True,
        started=True,
        scheduled=None,
        data=None,
        external=None,
        finished_at=None,
    ) -> int:
        task_id = self.next_id
        self.next_id += 1
        self.tasks.append(
            (
                task_id,
                process_id,
                f"{FLOW}.{node}",
                "start",
                kind,
                status,
                at,
                at if started else None,
                (finished_at or at) if finished else None,
                scheduled,
                data if data is not None else self.empty,
                external,
            )
        )
        if previous is not None:
            self.links.append((task_id, previous))
        return task_id

    def add_case(
        self, rng: random.Random, case: Case, process_id: int, start: datetime, now: datetime
    ) -> datetime:
        """The tasks of ``case`` from the start to where its status says; returns the last
        moment used (so the case's own dates can follow)."""
        done_steps, waiting, ending = _PATHS[case.status]
        at = start
        previous = self._task(process_id, "start", "START", STATUS.DONE, at)
        stopped = ending == "stopped"
        for step in [*done_steps, *([waiting] if waiting else [])]:
            open_step = step == waiting
            if open_step and ending == "open":
                # the current step opened recently: the open work of a programme is recent
                at = max(at, now - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 23)))
            else:
                at = at + timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 8))
                at = min(at, now - timedelta(hours=rng.randint(1, 48)))
            status = (
                STATUS.NEW
                if open_step and not stopped
                else STATUS.CANCELED
                if open_step
                else STATUS.DONE
            )
            finished = not (open_step and not stopped)
            host = self._task(
                process_id,
                step,
                "FUNCTION",
                status,
                at,
                previous=previous,
                finished=finished,
                started=not open_step,
            )
            due = at + timedelta(days=rng.choice([5, 7, 10, 14]))
            for suffix, moment in zip(
                ("__timeout", "__timeout_2", "__timeout_3"),
                _timer_moments(step, at, due, now),
                strict=True,
            ):
                # an open step's timers that fell due have fired (the sweep fires a due
                # timer within a minute: a running programme has none overdue)
                fired = not finished and moment <= now
                self._task(
                    process_id,
                    step + suffix,
                    "TIMER",
                    STATUS.DONE if fired else STATUS.SCHEDULED if not finished else STATUS.CANCELED,
                    at,
                    previous=host,
                    finished=finished or fired,
                    finished_at=moment if fired else None,
                    started=False,
                    scheduled=moment,
                )
            # ``finished`` as the task's (the triggers that copy it are off while loading)
            self.deadlines.append((case, step, host, at, due, at if finished else None))
            previous = host
            if open_step:
                break
            switch = _SWITCH_AFTER.get(step)
            if switch:
                previous = self._task(
                    process_id, switch, "SWITCH", STATUS.DONE, at, previous=host, started=False
                )
            if step == "review" and case.status == "rejected":
                self._task(process_id, "rejected", "END", STATUS.DONE, at, previous=previous)
                return at
            if step == "report":
                at = at + timedelta(minutes=2)
                job = self._task(
                    process_id,
                    "render_report",
                    "JOB",
                    STATUS.DONE,
                    at,
                    previous=host,
                    data=self.job_data,
                    external=str(uuid.uuid4()),
                )
                closes = at + timedelta(days=28)
                feedback_done = case.status in ("closing", "closed")
                if not feedback_done:
                    # the feedback period is open: its timer has not fired (a running
                    # programme would have closed it and moved the case on)
                    closes = max(closes, now + timedelta(days=1))
                case.feedback_closes = closes  # the survey's closing time (``_children``)
                timer = self._task(
                    process_id,
                    "feedback",
                    "TIMER",
                    STATUS.DONE if feedback_done else STATUS.SCHEDULED,
                    at,
                    previous=job,
                    finished=feedback_done,
                    started=feedback_done,
                    scheduled=closes,
                )
                previous = timer
                if feedback_done:
                    at = closes
                    previous = self._task(
                        process_id, "feedback_over", "FUNCTION", STATUS.DONE, at, previous=timer
                    )
            if step == "close":
                self._task(process_id, "closed", "END", STATUS.DONE, at, previous=host)
        return at

    def flush(self) -> None:
        _insert(
            Task,
            [
                "id",
                "process_id",
                "flow_task",
                "token",
                "flow_task_type",
                "status",
                "created",
                "started",
                "finished",
                "scheduled",
                "data",
                "external_task_id",
            ],
            self.tasks,
        )
        _insert(Task.previous.through, ["from_task_id", "to_task_id"], self.links)
        _insert(
            StepDeadline,
            ["case_id", "step", "task_id", "since", "due", "finished"],
            [(case.pk, *rest) for case, *rest in self.deadlines],
        )
        self.tasks, self.links, self.deadlines = [], [], []


# ------------------------------------------------------------------------------
# The generator
# ------------------------------------------------------------------------------


def ensure_dataset(size: int, log: Callable[[str], None] = print) -> Dataset:
    """``size`` generated cases in the database of ``DATABASE_URL`` (see the module's text).

    Args:
        size: how many cases (drafts included).
        log: where progress lines go.

    Returns the size and the seconds the generation took (``reused`` when the marker
    said the data was there already).

    Raises:
        DatasetError: the database has no themes (not migrated, or flushed), so cases
            could not be given one; nothing is written.
    """
    started = time.monotonic()
    if _marker_size() == size:
        return Dataset(size=size, seconds=0.0, reused=True)
    if not Theme.objects.exists():
        raise DatasetError(
            "The database has no themes: migrate it (sparring 0004 adds the programme's "
            "sectors and themes) before generating the benchmark programme."
        )
    _clear()
    if connection.vendor == "postgresql":
        # The generated rows are consistent by construction: skip the per-row foreign key
        # triggers while inserting (the bench database's own superuser session only).
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    try:
        _generate(size, log)
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
    # The figures' aggregates: their triggers were off while loading (replica role on
    # PostgreSQL) or queued every row (SQLite); write them once from the records.
    aggregates.rebuild()
    # The case tally too (its triggers were off: api.case_tally).
    case_tally.recount(connection)
    with connection.cursor() as cursor:
        # VACUUM too: index-only scans need the visibility map of the freshly loaded tables
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    seconds = time.monotonic() - started
    _set_marker(size, seconds)
    log(f"Generated {size} cases with their flow rows in {seconds:.0f} s.")
    return Dataset(size=size, seconds=seconds, reused=False)


def _organisations(size: int) -> list[tuple[Organisation, User]]:
    """The 51 demo organisations and, for a large programme, more (one per ~100 cases)."""
    pairs = list(demo.ensure_organisations().values())
    extra = max(0, size // 100 - len(pairs))
    have = Organisation.objects.filter(name_fi__startswith="Vertailukunta ").count()
    new_orgs = [
        Organisation(
            name_fi=f"Vertailukunta {n}",
            business_id=demo.business_id(10_000 + n),
            kind=Organisation.Kind.MUNICIPALITY,
            region=demo._REGIONS[n % len(demo._REGIONS)],
        )
        for n in range(have, extra)
    ]
    Organisation.objects.bulk_create(new_orgs, batch_size=BATCH)
    generated = Organisation.objects.filter(name_fi__startswith="Vertailukunta ")
    known = set(
        User.objects.filter(organisation__in=generated).values_list("organisation", flat=True)
    )
    User.objects.bulk_create(
        [
            User(
                username=f"hakija.vertailu{org.pk}",
                email=f"hakija.vertailu{org.pk}@example.invalid",
                role=User.Role.APPLICANT,
                organisation=org,
                first_name="Hakija",
                last_name=f"Vertailu {org.pk}",
                password="!",  # noqa: S106 (no usable password)
            )
            for org in generated
            if org.pk not in known
        ],
        batch_size=BATCH,
    )
    pairs += [
        (u.organisation, u)
        for u in User.objects.filter(organisation__in=generated).select_related("organisation")
    ]
    return pairs


def _calls(size: int) -> list[Call]:
    """One call per half-year from 2021 (the last still open), budgets for every case."""
    calls = list(Call.objects.filter(title__startswith="Vertailuhaku ").order_by("opens_at"))
    if calls:
        return calls
    now = clock.now()
    first = datetime(2021, 2, 1, 9, tzinfo=HELSINKI)
    rows = []
    n = 0
    while True:
        opens = first + timedelta(days=182 * n)
        if opens > now:
            break
        closes = opens + timedelta(days=182)
        rows.append(
            Call(
                title=f"Vertailuhaku {n + 1}",
                title_sv=f"Jämförelseansökan {n + 1}",
                title_en=f"Benchmark call {n + 1}",
                description="Vertailuaineiston haku.",
                opens_at=opens,
                closes_at=max(closes, now + timedelta(days=60)) if closes > now else closes,
                delivery_starts=opens.date(),
                delivery_ends=(closes + timedelta(days=365)).date(),
                day_budget=4 * size + 100,
            )
        )
        n += 1
    return Call.objects.bulk_create(rows)


def _generate(size: int, log: Callable[[str], None]) -> None:
    rng = random.Random(17_100_000)
    now = clock.now()
    agreement = demo.ensure_framework()
    organisations = _organisations(size)
    # Skewed like a real programme: the two demo cities file a share each of every 50 cases.
    weights = [1] * len(organisations)
    weights[:2] = [max(1, len(organisations) // 50)] * 2
    consultants = list(Consultant.objects.filter(supplier__agreement=agreement))
    small = size < SMALL_MIX_BELOW
    coordinators = [
        demo.ensure_user(name, User.Role.COORDINATOR, "Koordinaattori", name[-1])
        for name in COORDINATORS
    ]
    sectors = [*Sector.objects.all(), None]
    themes = list(Theme.objects.all())
    calls = _calls(size)
    statuses, status_weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    flow = _FlowRows(_next_id(Task))
    span = max(1, (now - calls[0].opens_at).days - 60)
    made = 0
    reference_serial = 0
    for batch_start in range(0, size, BATCH):
        count = min(BATCH, size - batch_start)
        if small:
            chosen = [SMALL_MIX[(batch_start + n) % len(SMALL_MIX)] for n in range(count)]
        else:
            chosen = rng.choices(statuses, status_weights, k=count)
        plans = []
        for n, status in enumerate(chosen):
            organisation, applicant = rng.choices(organisations, weights)[0]
            if small and n % 2 == 0:
                organisation, applicant = organisations[0]
            if status in (
                "draft",
                "submitted",
                "returned",
                "approved",
                "offered",
                "scheduling",
                "delivery",
                "reporting",
                "feedback",
                "closing",
            ):
                created = now - timedelta(days=rng.randint(20, 200), minutes=rng.randint(0, 600))
            else:
                created = now - timedelta(days=rng.randint(60, span), minutes=rng.randint(0, 600))
            if small and status == "closed":
                created = datetime(2024, 5, 15, 10, tzinfo=HELSINKI)  # the search "SP-2024"
            call = next((c for c in reversed(calls) if c.opens_at <= created), calls[0])
            plans.append((status, organisation, applicant, created, call))
        processes = Process.objects.bulk_create(
            [
                Process(
                    flow_class=FLOW,
                    status=(
                        PROCESS.DONE
                        if status in ("closed", "rejected")
                        else PROCESS.CANCELED
                        if status in ("withdrawn", "cancelled")
                        else PROCESS.NEW
                    ),
                    created=created,
                    finished=created
                    if status in ("closed", "rejected", "withdrawn", "cancelled")
                    else None,
                )
                for status, _o, _a, created, _c in plans
                if status != "draft"
            ],
            batch_size=BATCH,
        )
        process_iter = iter(processes)
        cases = []
        for status, organisation, applicant, created, call in plans:
            sector = rng.choice(sectors)
            process = None if status == "draft" else next(process_iter)
            if process is not None:
                reference_serial += 1
            consultant = rng.choice(consultants) if status in _WITH_CONSULTANT else None
            if small and consultant is not None:
                consultant = min(consultants, key=lambda c: c.pk)
            days = rng.choice([1, 2, 2, 2])
            decided = status not in ("draft", "submitted", "returned", "withdrawn")
            cases.append(
                Case(
                    reference=(f"SP-{created.year}-B{reference_serial:06d}" if process else None),
                    call=call,
                    organisation=organisation,
                    created_by=applicant,
                    status=status,
                    process=process,
                    unit=rng.choice(
                        [
                            "Kotihoito",
                            "Kirjasto",
                            "Talouspalvelut",
                            "Nuorisotyö",
                            "Ympäristöpalvelut",
                            "Varhaiskasvatus",
                            "",
                        ]
                    ),
                    whole_organisation=sector is None,
                    sector=sector,
                    theme=rng.choice(themes),
                    development_need=rng.choice(
                        [
                            "Työnjaon selkiyttäminen ja kuormituksen hallinta",
                            "Etätyön käytännöt ja yhteisöllisyys",
                            "Asiakasprosessin sujuvoittaminen",
                            "Muutoksen johtaminen organisaatiouudistuksessa",
                        ]
                    ),
                    goal="Yhteiset pelisäännöt",
                    target_group="Yksikön henkilöstö",
                    estimated_participants=rng.randint(8, 40),
                    requested_days=days,
                    approved_days=days if decided and status not in ("rejected",) else None,
                    contact_name=f"{applicant.first_name} {applicant.last_name}",
                    contact_email=applicant.email,
                    consultant=consultant,
                    agreed_day_price=Decimal("1100.00") if consultant else None,
                    handler=(
                        (coordinators[0] if small else rng.choice(coordinators))
                        if process and (status != "submitted" or (rng.random() < 0.5 and not small))
                        else None
                    ),
                    created=created,
                    submitted_at=created + timedelta(hours=1) if process else None,
                    decided_at=created + timedelta(days=3) if decided else None,
                    closed_at=None,
                )
            )
        if small:
            # the benchmark's searches ("Kotihoito", "työnjako") find every case
            for case in cases:
                case.unit = "Kotihoito"
                case.development_need = "Työnjaon selkiyttäminen ja kuormituksen hallinta"
        for case in cases:
            if case.process_id:
                end = flow.add_case(rng, case, case.process_id, case.submitted_at, now)
                if case.status == "closed":
                    case.closed_at = end
        cases = Case.objects.bulk_create(cases, batch_size=BATCH)
        flow.flush()
        _children(rng, cases, coordinators, agreement, now, small=small)
        made += count
        log(f"  {made} cases")
    _unavailability(rng, consultants, now)
    _reset_sequences([Task, Process, Case])


def _children(rng, cases, coordinators, agreement, now, *, small: bool = False) -> None:
    """Offers, call-offs, days, reports, surveys and answers, acts and messages of ``cases``
    (``small``: the small set's mix, every closed case with a published act)."""
    offers, days, reports, surveys, acts, messages = [], [], [], [], [], []
    for case in cases:
        if case.consultant_id is not None:
            offers.append(
                Offer(
                    case=case,
                    consultant_id=case.consultant_id,
                    status="offered" if case.status == "offered" else "accepted",
                    offered_by=rng.choice(coordinators),
                    offered_at=case.decided_at,
                    deadline=(
                        now + timedelta(days=rng.randint(1, 7))
                        if case.status == "offered"
                        else case.decided_at + timedelta(days=7)
                    ),
                    answered_at=None if case.status == "offered" else case.decided_at,
                )
            )
            if case.status not in ("offered", "scheduling"):
                first = case.decided_at.date() + timedelta(days=rng.randint(14, 60))
                for k in range(case.approved_days or 1):
                    held = case.status in _DAYS_HELD or (case.status == "delivery" and k == 0)
                    days.append(
                        SessionDay(
                            case=case,
                            date=first + timedelta(days=21 * k),
                            start_time="09:00",
                            end_time="15:30",
                            place="Kaupungintalo",
                            status="held" if held else "confirmed",
                            participants=rng.randint(8, 30) if held else None,
                        )
                    )
        if case.status in _REPORTED:
            reports.append(
                Report(
                    case=case,
                    status="submitted",
                    revision=1,
                    participants=rng.randint(10, 50),
                    refined_goal="Työnjaon selkiyttäminen",
                    implementation="Kaksi työpajaa",
                    themes_covered="Kuormitus, työnjako",
                    results="Yhteiset pelisäännöt",
                    follow_up="Seuranta keväällä",
                    submitted_at=case.decided_at + timedelta(days=70),
                )
            )
            # closing when the case's feedback timer fires, which flags it closed (a case
            # still in its feedback period: ahead, open)
            closes = getattr(case, "feedback_closes", case.decided_at + timedelta(days=98))
            surveys.append(
                Survey(
                    case=case,
                    opened_at=min(case.decided_at + timedelta(days=70), closes - timedelta(days=1)),
                    closes_at=closes,
                    closed=case.status != "feedback",
                )
            )
            if case.status == "closed" and (rng.random() < 0.1 or small):
                acts.append(
                    DevelopmentAct(
                        case=case,
                        status=DevelopmentAct.Status.PUBLISHED,
                        title=f"Pelisäännöt: {case.unit or 'koko organisaatio'}",
                        what_was_done="Kaksi työpajaa",
                        what_changed="Työnjako selkeytyi",
                        organisation_name=case.organisation.name_fi,
                        region=case.organisation.region,
                        sector_id=case.sector_id,
                        theme_id=case.theme_id,
                        consent_by=case.created_by,
                        published_at=case.decided_at + timedelta(days=120),
                    )
                )
        if case.process_id and rng.random() < 0.3:
            for k in range(rng.randint(1, 3)):
                messages.append(
                    CaseMessage(
                        case=case,
                        author=case.created_by if k % 2 == 0 else rng.choice(coordinators),
                        author_party=Party.APPLICANT if k % 2 == 0 else Party.COORDINATORS,
                        audience=Audience.COORDINATORS if k % 2 == 0 else Audience.APPLICANT,
                        body="Kysymys aikataulusta." if k % 2 == 0 else "Vastaus: sopii.",
                        created=case.created + timedelta(days=k + 1),
                    )
                )
    offers = Offer.objects.bulk_create(offers, batch_size=BATCH)
    CallOff.objects.bulk_create(
        [
            CallOff(
                case_id=offer.case_id,
                agreement=agreement,
                method=agreement.method,
                candidates=[],
                chosen_id=offer.consultant_id,
                offer=offer,
                decided_by=offer.offered_by,
                decided_at=offer.offered_at,
            )
            for offer in offers
        ],
        batch_size=BATCH,
    )
    SessionDay.objects.bulk_create(days, batch_size=BATCH)
    Report.objects.bulk_create(reports, batch_size=BATCH)
    surveys = Survey.objects.bulk_create(surveys, batch_size=BATCH)
    grades = [5] * 15 + [4] * 4 + [3]
    SurveyAnswer.objects.bulk_create(
        [
            SurveyAnswer(survey=survey, overall=rng.choice(grades))
            for survey in surveys
            for _k in range(rng.randint(1, 4))
        ],
        batch_size=BATCH,
    )
    DevelopmentAct.objects.bulk_create(acts, batch_size=BATCH)
    CaseMessage.objects.bulk_create(messages, batch_size=BATCH)


def _unavailability(rng, consultants, now) -> None:
    """A few unavailable periods per consultant (the staff list of them)."""
    from procurement.models import Unavailability

    today = now.astimezone(HELSINKI).date()
    rows = []
    for consultant in consultants:
        for _k in range(5):
            starts = today + timedelta(days=rng.randint(-300, 300))
            rows.append(
                Unavailability(
                    consultant=consultant,
                    starts=starts,
                    ends=starts + timedelta(days=rng.randint(1, 14)),
                    note="Loma",
                )
            )
    Unavailability.objects.bulk_create(rows)
