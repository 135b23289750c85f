"""Reads of the API that the pages do not have yet: the caller's tasks and the late cases.

Both keep a fixed number of queries whatever the number of cases.
"""

from datetime import datetime
from functools import cache

from django.db.models import CharField, F, Q, QuerySet
from django.db.models.functions import Cast
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from sparring import access, clock
from sparring.cases import selectors, states
from sparring.cases.search import case_search
from sparring.cases.steps import STEPS, Actor
from sparring.models import Case, StepDeadline

from . import case_tally

# As ``selectors.open_steps`` counts them (ERROR: a failed background job awaits a retry).
OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.SCHEDULED, STATUS.STARTED, STATUS.ERROR)


def step_refs(steps) -> list[str]:
    """The ``flow_task`` values of the named steps of the case flow, as viewflow stores them
    (``app/module.Flow.step``, e.g. ``workflow/flows.SparringFlow.review``).

    Compared for equality rather than by their ending (``LIKE '%.review'``), so that
    PostgreSQL reads them from the open tasks' index (issue 17)."""
    return list(_step_refs(tuple(steps)))


@cache
def _step_refs(steps: tuple[str, ...]) -> tuple[str, ...]:
    from viewflow.workflow.fields import get_task_ref

    from workflow.flows import SparringFlow

    return tuple(get_task_ref(getattr(SparringFlow, step)) for step in steps)


def _steps_q(steps, prefix: str = "") -> Q:
    """Tasks of the named flow steps (``step_refs``); ``prefix``: the path to the task from
    the model queried (e.g. ``process__task__``)."""
    return Q(**{f"{prefix}flow_task__in": step_refs(steps)})


def role_of(user) -> str | None:
    """The ``steps.Actor`` that ``user`` acts as (None: nobody's steps)."""
    if access.is_coordinator(user):
        return Actor.COORDINATOR
    if access.is_consultant(user):
        return Actor.CONSULTANT
    if access.is_applicant(user):
        return Actor.APPLICANT
    return None


def steps_of(role: str | None) -> list[str]:
    """The flow steps that ``role`` takes (the step registry, ``steps.STEPS``)."""
    return [name for name, step in STEPS.items() if step.actor == role]


def open_tasks(*, process_ids, steps) -> QuerySet[Task]:
    """Open tasks of ``steps`` in the given processes (as ``selectors.open_steps`` counts them)."""
    return Task.objects.filter(
        _steps_q(steps), process_id__in=process_ids, status__in=OPEN_TASK_STATUSES
    )


def task_cases(user) -> "TaskCases":
    """The cases in ``visible_cases(user)`` with an open step that ``user``'s role takes.

    Each case carries ``waiting_since``: when its oldest such step opened (the step's
    viewflow task's ``created``). Oldest first, then by case id. Counted and sliced like a
    queryset (``TaskCases``); only the case's id and process are read: ``list_rows`` loads
    a page's rows.

    Paged from the open tasks of the flow's steps in the order they opened (the partial
    index ``task_open_step_created``, migration ``sparring 0024``), each joined to its
    case (issue 17: a sort by a value computed for every visible case took 18 s at 100 000
    cases). A case waits at one step at a time (the flow has no split), so it is listed
    once; a case that an administrator's repair left with two open steps of the role would
    be listed at each (the old rule: once, at the older).
    """
    return TaskCases(user)


class TaskCases:
    """``task_cases``: a page is one query, the count another, each reading an index.

    Issue 17 (session 8): the count joined every open step of the role to its case
    (4 800 coordinator steps, 9 000 consultant steps: 50–90 ms at 100 000 cases).

    - A coordinator sees every case: the count reads the open steps alone (an index of
      the open steps, ``task_open_step_created`` or ``task_open_step_by_process``), not
      their cases. Each flow process is a case's: a process is started only by submitting
      a case (``SparringFlow.start_case`` links them), only drafts are deleted and a
      draft has no process, and ``Case.process`` protects it.
    - Anyone else: the visible cases are read per condition of
      ``access.visible_case_terms`` (each from its own index, united), only the open ones
      (``states.OPEN``: a draft has no flow yet, and a case that ends finishes or cancels
      its steps in the same transaction, see ``late_cases``), and their open steps are
      looked up by process (migration ``sparring 0026``: ``case_open_by_consultant``,
      ``task_open_step_by_process``).

    The rows and their order are those of the join over every visible case
    (``tests/unit/api/test_late_and_task_lists.py`` keeps it as the reference).
    """

    def __init__(self, user):
        self.user = user
        self.steps = steps_of(role_of(user))

    def _open_steps(self, prefix: str = "") -> Q:
        return _steps_q(self.steps, prefix=prefix) & Q(
            **{
                f"{prefix}status__in": OPEN_TASK_STATUSES,
                f"{prefix}flow_task_type": "FUNCTION",
            }
        )

    def _processes(self) -> QuerySet[Case] | None:
        """The flow processes of the open visible cases (None: every case is visible)."""
        if access.visible_case_terms(self.user) is None:
            return None
        return _visible_union(
            self.user, lambda part: part.filter(status__in=states.OPEN).values("process_id")
        )

    def _cases(self) -> QuerySet[Case]:
        processes = self._processes()
        cases = (
            Case.objects.all()
            if processes is None
            else Case.objects.filter(process_id__in=processes)
        )
        task = "process__task__"
        return (
            cases.filter(self._open_steps(prefix=task))
            .only("pk", "process_id")
            .annotate(waiting_since=F(f"{task}created"))
            .order_by("waiting_since", "pk")
        )

    def count(self) -> int:
        """How many cases (rows) the list has: one query."""
        tasks = Task.objects.filter(self._open_steps())
        processes = self._processes()
        if processes is not None:
            tasks = tasks.filter(process_id__in=processes)
        return tasks.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self._cases()[index]
        return list(self._cases()[index])

    def __iter__(self):
        return iter(self._cases())


def steps_by_process(cases, steps) -> dict[int, list[tuple[str, datetime]]]:
    """The open steps of ``steps`` (``open_tasks``) of each case's process, oldest first
    (by the task's ``created``, then id), in one query: ``{process_id: [(step name,
    when it opened)]}``.

    Only the process, the step's stored reference (as text) and the time are read
    (issue 17, session 9): building viewflow's ``Task`` of each, which resolves its
    step's reference, cost a tenth of a 50-row task page's Python.
    """
    names = dict(zip(step_refs(steps), steps, strict=True))
    result: dict[int, list[tuple[str, datetime]]] = {}
    process_ids = [case.process_id for case in cases if case.process_id]
    if not process_ids:
        return result
    rows = (
        open_tasks(process_ids=process_ids, steps=steps)
        .order_by("created", "pk")
        .values_list("process_id", Cast("flow_task", output_field=CharField()), "created")
    )
    for process_id, ref, created in rows:
        result.setdefault(process_id, []).append((names[ref], created))
    return result


def late_cases(now: datetime | None = None) -> QuerySet[StepDeadline]:
    """The open cases with a step past its due date (the rule of the late-cases page:
    ``StepDeadline`` rows made from ``cases.steps``/``cases.deadlines``): for each, its
    earliest late step's deadline row, with ``late_step``, ``waiting_since`` and
    ``due``; most late first, then by case id. ``list_rows(page, ..., key="case_id")``
    loads a page's cases.

    Paged from the open deadlines alone, in due order (the partial index
    ``stepdeadline_open_due``: ``StepDeadline.finished`` is the step's task's, copied by
    ``cases.deadline_triggers``), so that counting them reads that index only (issue 17:
    a subquery for every open case took 60 s under load at 100 000 cases). A case waits
    at one step at a time (the flow has no split), so its earliest late step is its only
    one (a case left with two open steps by an administrator's repair would be listed at
    each; the old rule listed it once). Open steps are open cases' steps: a
    case that ends (closed, rejected, withdrawn, cancelled) finishes or cancels its flow's
    tasks in the same transaction (``open_step_deadlines``).

    Args:
        now: the moment lateness is judged at (default: the product's clock).
    """
    now = now or clock.now()
    return (
        StepDeadline.objects.open()
        .filter(due__lt=now)
        .only("case_id", "step", "since", "due")
        .annotate(late_step=F("step"), waiting_since=F("since"))
        .order_by("due", "case_id")
    )


def case_ids(user, *, status: str | None = None, text: str = "") -> "QuerySet[Case] | EveryCase":
    """The cases of ``access.visible_cases(user)`` (of ``status`` when given; found by the
    search ``text`` when not blank: ``search.case_search``, the case list page's rule), newest
    first (``-created``, then ``-pk``, as ``selectors.case_list``): only their ``pk`` and
    ``created``; ``list_rows`` loads a page's rows.

    Paged and counted from indexes (issue 17): all cases from ``case_newest_first``, one
    organisation's or one consultant's from ``case_by_organisation_newest`` and
    ``case_by_consultant_newest`` (migration ``sparring 0025``). A consultant's cases are
    read as the cases assigned to them and, united with them, the open offers' cases not
    assigned to them (``_visible_union``).
    """

    def shape(cases: QuerySet[Case]) -> QuerySet[Case]:
        if status:
            cases = cases.filter(status=status)
        return case_search(cases, text).only("pk", "created")

    ids = _visible_union(user, shape).order_by("-created", "-pk")
    if (
        access.visible_case_terms(user) is None
        and not status
        and not text.replace("\x00", " ").split()
    ):
        return EveryCase(ids)
    return ids


class EveryCase:
    """``case_ids`` of a reader who sees every case, unfiltered: sliced like its queryset,
    counted from the case tally (``case_tally.count``, one query: issue 17, counting
    100 000 cases took 4.8 ms a page). The same count as the queryset's: every case."""

    def __init__(self, ids: QuerySet[Case]):
        self.ids = ids

    def count(self) -> int:
        """How many cases exist: one query."""
        return case_tally.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        return self.ids[index]

    def __iter__(self):
        return iter(self.ids)


def _visible_union(user, shape) -> QuerySet[Case]:
    """``shape(cases)`` of the cases of ``access.visible_cases(user)``, unordered: one query
    for each of ``access.visible_case_terms(user)``, each made disjoint from the ones before
    it, united with UNION ALL (a case comes once). Each alone is served by an index; their
    OR made PostgreSQL scan every case (issue 17)."""
    terms = access.visible_case_terms(user)
    if terms is None:
        terms = [Q()]
    parts = []
    for n, term in enumerate(terms):
        for earlier in terms[:n]:
            term &= ~earlier
        parts.append(shape(Case.objects.filter(term)).order_by())
    if not parts:
        return shape(Case.objects.none())
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


#: The columns of a case and its relations that the API's case rows read
#: (``serializers.CaseSerializer.case_row``; the task list's steps are looked up by
#: ``process``): ``list_rows`` reads only these (issue 17, session 9: the case's long
#: texts and the users' whole records cost more to build than the rest of the row).
#: A row that reads another column costs a query per row, which
#: ``tests/unit/api/test_api.py`` (the same queries for one or five rows) catches.
API_ROW_FIELDS = (
    "reference",
    "status",
    "call",
    "call__title",
    "call__title_sv",
    "call__title_en",
    "organisation",
    "organisation__name_fi",
    "organisation__name_sv",
    "unit",
    "whole_organisation",
    "sector",
    "sector__code",
    "theme",
    "theme__code",
    "language",
    "estimated_participants",
    "requested_days",
    "approved_days",
    "created",
    "submitted_at",
    "decided_at",
    "closed_at",
    "consultant",
    "consultant__user__first_name",
    "consultant__user__last_name",
    "consultant__user__username",
    "consultant__supplier__name",
    "consultant__supplier__name_sv",
    "process",
)
#: What the late cases' row reads of the responsible coordinator
#: (``serializers.LateCaseSerializer.get_handler``).
API_HANDLER_FIELDS = ("handler", "handler__first_name", "handler__last_name", "handler__username")


def list_rows(page, *carried: str, key: str = "pk", handler: bool = False) -> list[Case]:
    """The cases of a page of ``case_ids``, ``task_cases`` or ``late_cases`` with what the
    API's case row shows (``selectors.API_ROW_RELATED``, ``API_ROW_FIELDS``), in the page's order, each
    carrying the page's ``carried`` values (e.g. ``waiting_since``). One query.

    Args:
        page: the page's items, each naming its case by ``key`` (``pk``: cases;
            ``case_id``: deadline rows).
        carried: the items' attributes copied to the cases.
        handler: join the responsible coordinator too (the late cases' row).

    Why two queries rather than one: the rows' ten-table join took PostgreSQL 20–30 ms
    to plan when it was also the query that pages (issue 17); looking up 50 ids plans in
    a few.
    """
    keys = [getattr(item, key) for item in page]
    related = selectors.API_ROW_RELATED + (("handler",) if handler else ())
    fields = API_ROW_FIELDS + (API_HANDLER_FIELDS if handler else ())
    rows = _joined_rows(keys, related, fields)
    result = []
    for item in page:
        row = rows[getattr(item, key)]
        for name in carried:
            setattr(row, name, getattr(item, name))
        result.append(row)
    return result


def _joined_rows(keys, related: tuple[str, ...], fields: tuple[str, ...]) -> dict[int, Case]:
    """The cases ``keys`` by id, as ``selectors.case_list(...).only(*fields).in_bulk(keys)``
    gives them (the same query: the relations ``related`` joined, the columns ``fields``),
    each related row built once (``shared_rows``)."""
    queryset = selectors.case_list(Case.objects.all(), related, late=False).filter(pk__in=keys)
    return {case.pk: case for case in shared_rows(queryset, related, fields)}


def shared_rows(queryset: QuerySet, related: tuple[str, ...], fields: tuple[str, ...]) -> list:
    """The records of ``queryset`` in its order, as
    ``queryset.select_related(*related).only(*fields)`` gives them (one query, the same
    joins), but each distinct related row built once and shared (issue 17, session 12).

    ``select_related`` builds a model for every relation of every row: eight a row, 400
    for a 50-row case page, though a page names a dozen calls, sectors, themes and
    consultants. Here the joined columns are read as tuples, each record and each distinct
    related row becomes a model (``Model.from_db``, as Django's own loading, with only the
    columns read deferred-loaded otherwise), and a record caches its related rows as
    ``select_related`` would, so that reading ``case.call`` costs no query. The shared
    related models are for reading: do not change them.

    Args:
        related: relation paths (``consultant__user``), each prefix joined too.
        fields: columns as for ``QuerySet.only`` (``reference``, ``call__title``); the
            primary keys and the foreign keys of the relations are read anyway.
    """
    paths = sorted(
        {"__".join(p.split("__")[: n + 1]) for p in related for n in range(p.count("__") + 1)}
    )
    # per path: its model, the foreign key it hangs from and the columns read of it
    plans = []
    for path in ("", *paths):
        model, parent_field = queryset.model, None
        for name in path.split("__") if path else ():
            parent_field = model._meta.get_field(name)
            model = parent_field.related_model
        prefix = f"{path}__" if path else ""
        own = {f[len(prefix) :] for f in fields if f.startswith(prefix)}
        own = {name for name in own if "__" not in name}
        own |= {p.split("__")[-1] for p in paths if p.rpartition("__")[0] == path}
        columns = [
            field for field in model._meta.concrete_fields if field.primary_key or field.name in own
        ]
        names = [field.attname for field in columns]
        key = [field.primary_key for field in columns].index(True)
        plans.append((path, model, parent_field, names, key))
    select = [
        f"{path}__{name}" if path else name for path, _m, _f, names, _k in plans for name in names
    ]
    db = queryset.db
    built: dict[tuple, object] = {}
    records = []
    for values in queryset.values_list(*select):
        at = 0
        instances: dict[str, object] = {}
        for path, model, parent_field, names, key in plans:
            row = values[at : at + len(names)]
            at += len(names)
            if not path:
                instance = model.from_db(db, names, row)
                records.append(instance)
            else:
                instance = None
                if row[key] is not None:
                    instance = built.get((model, row[key]))
                    if instance is None:
                        instance = built[model, row[key]] = model.from_db(db, names, row)
                parent = instances[path.rpartition("__")[0]]
                if parent is not None:
                    parent_field.set_cached_value(parent, instance)
            instances[path] = instance
    return records
