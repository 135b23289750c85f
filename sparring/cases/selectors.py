"""Reads with more than a trivial query."""

from datetime import UTC, datetime, timedelta
from functools import cached_property, reduce
from math import ceil
from operator import or_
from typing import Any

from django.core.paginator import Paginator
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull
from django.utils.translation import gettext_lazy as _

from procurement.models import Consultant, Supplier
from sparring import audit, clock
from sparring.models import Call, Case, Organisation, StepDeadline
from sparring.queries import SlicedLikeAQueryset, pk_among

from . import states
from .steps import STEPS


def programme_overview() -> dict[str, Any]:
    """Counts of the programme's records, in one query per table, never stored."""
    suppliers = Supplier.objects.aggregate(
        suppliers=Count("pk", filter=Q(active=True)),
    )
    consultants = Consultant.objects.aggregate(
        consultants=Count("pk", filter=Q(active=True, supplier__active=True)),
    )
    organisations = Organisation.objects.aggregate(organisations=Count("pk"))
    return {**organisations, **suppliers, **consultants}


# ------------------------------------------------------------------------------
# Cases
# ------------------------------------------------------------------------------


#: Every relation a case's row in any list shows (``case_list``'s default: exports,
#: the hand-over confirmation).
LIST_ROW_RELATED = (
    "organisation",
    "call",
    "sector",
    "theme",
    "consultant__user",
    "consultant__supplier",
    "handler",
)
#: What a row of the case table shows (``rows.case_table_rows``: the case list, the
#: applicant's and the consultant's home): the relations joined and the only columns
#: read (a column read that is not here costs a query per row: the tests "the same
#: queries for one or five cases" of ``tests/unit/cases/test_case_views.py`` catch it).
CASE_TABLE_RELATED = ("organisation", "sector", "theme", "consultant__user", "handler")
CASE_TABLE_FIELDS = (
    "reference",
    "organisation__name_fi",
    "organisation__name_sv",
    "unit",
    "whole_organisation",
    "sector__name_fi",
    "sector__name_sv",
    "sector__name_en",
    "theme__name_fi",
    "theme__name_sv",
    "theme__name_en",
    "approved_days",
    "requested_days",
    "status",
    "handler__first_name",
    "handler__last_name",
    "consultant__user__first_name",
    "consultant__user__last_name",
    "consultant__user__username",
    "created",
)
#: What a row of the queue table shows (``rows.queue_table_rows``: the queue, My cases,
#: the coordinator's home), as ``CASE_TABLE_*``; ``process`` for the waiting time.
QUEUE_TABLE_RELATED = ("organisation", "call", "handler")
QUEUE_TABLE_FIELDS = (
    "reference",
    "organisation__name_fi",
    "organisation__name_sv",
    "unit",
    "status",
    "handler__first_name",
    "handler__last_name",
    "handler__username",
    "call__title",
    "call__title_sv",
    "call__title_en",
    "process",
    "created",
)
#: What the API's case row shows (``api.serializers.CaseSerializer.case_row``) and the
#: late-case row's responsible coordinator (``LateCaseSerializer``).
API_ROW_RELATED = (
    "organisation",
    "call",
    "sector",
    "theme",
    "consultant__user",
    "consultant__supplier",
)


def case_list(
    queryset,
    related: tuple[str, ...] = LIST_ROW_RELATED,
    *,
    late: bool = True,
    fields: tuple[str, ...] | None = None,
):
    """What a list row shows, in one query, newest first.

    Args:
        related: the relations the row shows, joined (``LIST_ROW_RELATED``: every one;
            a list that shows fewer names its own, e.g. ``QUEUE_TABLE_RELATED``).
        late: annotate ``step_late`` (a waiting step is past due: the case table).
        fields: read only these columns (``QuerySet.only``; None: every column).

    Issue 17 (session 9): each joined table costs the row query planning time and
    Python a model per row. The ten-table join of ``LIST_ROW_RELATED`` took PostgreSQL
    4 ms to plan (the organisation, handler and deadline subquery alone: 0.5 ms), and
    building its nine models per row cost as much again, at every page of 25–50 rows;
    so each list joins and reads only what its rows show.
    """
    queryset = queryset.select_related(*related)
    if fields is not None:
        queryset = queryset.only(*related, *fields)
    if late:
        queryset = queryset.annotate(step_late=late_step_exists())
    return queryset.order_by("-created", "-pk")


def case_list_chunks(queryset, columns: tuple, chunk_size: int | None = None):
    """The cases of ``queryset`` in ``case_list``'s order (newest first: ``-created``,
    ``-pk``), as tuples of ``columns``, read a chunk at a time, for the exports (session 9:
    the case list's CSV).

    Keyset paging: each chunk is one query, the next ``chunk_size`` cases after the last
    one read (``created`` and ``pk`` below its), read from the index ``case_newest_first``
    with every column a row shows, joined in SQL (no query per row). Neither the queries
    per chunk nor the memory grow with the programme; a chunk's query costs the same at
    the end of the list as at its start (no OFFSET). Tuples, not model instances: a
    case with its six related rows as instances cost 0.6 s a chunk of 2 000 cases in
    Python, the query 14 ms (100 000 cases).

    Args:
        queryset: cases the reader may see, filtered (``access.visible_cases`` and the
            list's ``CaseFilter``); its order is replaced.
        columns: field paths as for ``values_list`` (``organisation__name_fi``).
        chunk_size: cases per query; ``settings.SPARRING_EXPORT_CHUNK_ROWS`` by default.

    Yields:
        Lists of tuples ``(created, pk, *columns)``, none empty; one more query than
        chunks when the last chunk is full.
    """
    from django.conf import settings

    size = chunk_size or settings.SPARRING_EXPORT_CHUNK_ROWS
    ordered = queryset.order_by("-created", "-pk").values_list("created", "pk", *columns)
    chunk = list(ordered[:size])
    while chunk:
        yield chunk
        if len(chunk) < size:
            return
        created, pk = chunk[-1][:2]
        # (created, pk) < the last's: ``created <=`` first, so that the index is read from there
        chunk = list(
            ordered.filter(created__lte=created).filter(Q(created__lt=created) | Q(pk__lt=pk))[
                :size
            ]
        )


def case_page(queryset, pk: int) -> Case:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        queryset.select_related(
            "organisation",
            "call",
            "sector",
            "theme",
            "consultant__user",
            "consultant__supplier",
            "created_by",
            "handler",
            "process",
        ),
        pk=pk,
    )


def open_steps(case: Case) -> list[str]:
    """Names of the open flow nodes that wait for someone (``steps.STEPS``; reminders left out)."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    if case.process_id is None:
        return []
    tasks = Task.objects.filter(
        process_id=case.process_id,
        # ERROR: a background job failed and waits for a retry; the case has not ended.
        status__in=[STATUS.NEW, STATUS.SCHEDULED, STATUS.STARTED, STATUS.ERROR],
    ).only("flow_task")
    return [t.flow_task.name for t in tasks if t.flow_task.name in STEPS]


def case_timeline(case: Case):
    return case.events.select_related("actor").order_by("created", "pk")


def call_offers(case: Case):
    from procurement.models import Offer

    return Offer.objects.filter(case=case).select_related(
        "consultant__user", "consultant__supplier"
    )


def call_off_records(case: Case):
    from procurement.models import CallOff

    return CallOff.objects.filter(case=case).select_related(
        "chosen__user", "proposed__user", "decided_by", "agreement"
    )


def case_counts_by_call(call_ids: list[int]) -> dict[int, int]:
    """How many cases (of any status, drafts included) each call of ``call_ids`` has:
    ``{call id: count}``, calls without cases left out.

    Issue 17: not a count over the cases. The submitted ones (every status but draft) are
    the figure rollup's ``cases`` of the call's all-months row (``statistics.rollup``,
    dim ``all/c``), after folding in the queued changes (``aggregates.refresh``, as every
    reader of the rollup does); the drafts are counted by the index on (status, call).
    Three queries (one EXISTS when nothing is queued), none for no ids.
    """
    from sparring.statistics import aggregates, rollup
    from sparring.statistics.models import FigureRollup

    if not call_ids:
        return {}
    aggregates.refresh()
    counts: dict[int, int] = dict(
        FigureRollup.objects.filter(
            call_id__in=call_ids, dim=rollup.ALL + rollup.WHOLE_CALL, cases__gt=0
        ).values_list("call_id", "cases")
    )
    drafts = (
        Case.objects.filter(status=Case.Status.DRAFT, call_id__in=call_ids)
        .order_by()
        .values("call_id")
        .annotate(n=Count("pk"))
        .values_list("call_id", "n")
    )
    for call_id, n in drafts:
        counts[call_id] = counts.get(call_id, 0) + n
    return counts


def open_calls():

    now = clock.now()
    return Call.objects.filter(opens_at__lte=now, closes_at__gt=now).order_by("closes_at")


def labelled_timeline(case: Case, *, full: bool, viewer=None) -> list:
    """The case's events a reader may see, with labels (rules: ``audit.AuditAction``).

    ``full``: the reader is a coordinator. ``viewer``: the reader, so that a
    bidding supplier's consultant sees its own mini-competition offers.
    """
    return audit.timeline(case_timeline(case), full=full, viewer=viewer)


def coordinator_inbox(user, sort: str = "") -> "WaitingCases":
    """Cases waiting for a coordinator that this coordinator is responsible for, oldest
    first unless ``sort`` (a key of ``QUEUE_SORTS``) says otherwise (``WaitingCases``:
    count it, slice it for a page). The home's inbox box and its list (``inbox_page``);
    "My cases" (``my_cases``) also holds the cases waiting for someone else."""
    return WaitingCases(
        Case.objects.filter(status__in=states.WAITING_FOR_COORDINATOR, handler=user),
        sort,
        coordinator_steps=True,
    )


def coordinator_queue(sort: str = "") -> "WaitingCases":
    """Cases waiting for a coordinator that nobody is responsible for, each with
    ``waiting_since``; oldest first unless ``sort`` (a key of ``QUEUE_SORTS``) says
    otherwise (``WaitingCases``: one query per page)."""
    return WaitingCases(
        Case.objects.filter(status__in=states.WAITING_FOR_COORDINATOR, handler__isnull=True),
        sort,
        coordinator_steps=True,
    )


def my_cases(user, sort: str = "") -> "WaitingCases":
    """The submitted cases that have not ended and that ``user`` is responsible for
    (``Case.handler``), each with ``waiting_since`` (when its current step opened);
    oldest first unless ``sort`` says otherwise (``WaitingCases``, walking the open steps
    for a long list: at most three queries per page)."""
    return WaitingCases(
        Case.objects.filter(status__in=states.ASSIGNABLE, handler=user), sort, walk=True
    )


#: The orders a coordinator's list offers: key -> (label, ORDER BY). Waiting longest first
#: is the default: the case that has waited longest is looked at first.
QUEUE_SORTS = {
    "waiting": (_("Waiting longest first"), (F("waiting_since").asc(nulls_last=True), "pk")),
    "-waiting": (_("Waiting shortest first"), (F("waiting_since").desc(nulls_last=True), "-pk")),
    "reference": (_("Reference"), ("reference", "pk")),
    "organisation": (_("Organisation"), ("organisation__name_fi", "pk")),
    "status": (_("Step"), ("status", F("waiting_since").asc(nulls_last=True), "pk")),
}


#: The sorts of ``QUEUE_SORTS`` by waiting time: their order for the cases with an open step.
WALK_ORDERS = {"waiting": ("waiting_since", "pk"), "-waiting": ("-waiting_since", "-pk")}


def sorted_cases(queryset, sort: str = ""):
    """``queryset`` (with ``waiting_since``) in the order ``sort`` names; unknown: the default."""
    _label, order = QUEUE_SORTS.get(sort, QUEUE_SORTS["waiting"])
    return queryset.order_by(*order)


def open_step_q(*, coordinator_steps: bool = False, prefix: str = "") -> Q:
    """A filter of viewflow's tasks (or, with ``prefix``, of a relation's) for the open
    steps (of ``steps.STEPS``; only the coordinators' with ``coordinator_steps``): the
    tasks whose creation time is a case's ``waiting_since``.

    Every step is a task of type FUNCTION (``workflow.nodes.CaseStep``, a Handle; the
    task list says the same, ``api.selectors.TaskCases``): so said, the time is read from
    the indexes of the open steps, which carry the step's name (``task_open_step_by_process``
    by process and ``task_open_step_created`` in the order they opened, migrations
    ``sparring 0024``/``0026``), without visiting the task rows (issue 17: the queue and
    My cases compute it for their cases to sort them).
    """
    from viewflow.workflow.status import STATUS

    names = [
        name for name, step in STEPS.items() if not coordinator_steps or step.actor == "coordinator"
    ]
    which = reduce(
        or_, (Q(**{f"{prefix}flow_task__endswith": f".{name}"}) for name in names), Q(pk__in=[])
    )
    return which & Q(
        **{
            f"{prefix}flow_task_type": "FUNCTION",
            f"{prefix}status__in": [STATUS.NEW, STATUS.SCHEDULED, STATUS.STARTED, STATUS.ERROR],
        }
    )


def waiting_since(*, coordinator_steps: bool = False) -> Subquery:
    """For annotating cases: when the case's oldest open step (of ``steps.STEPS``; only
    the coordinators' with ``coordinator_steps``) was created; ``None`` when no step is
    open. A subquery by the index of the open steps per process (``open_step_q``)."""
    from viewflow.workflow.models import Task

    tasks = Task.objects.filter(
        open_step_q(coordinator_steps=coordinator_steps), process_id=OuterRef("process_id")
    )
    return Subquery(tasks.order_by("created").values("created")[:1])


def with_waiting_since(
    queryset,
    *,
    coordinator_steps: bool = False,
    related: tuple[str, ...] = LIST_ROW_RELATED,
    late: bool = True,
    fields: tuple[str, ...] | None = None,
):
    """``case_list(queryset, related, late=late, fields=fields)`` with ``waiting_since``
    (``waiting_since()``). A subquery, so still one query for a page."""
    return case_list(queryset, related, late=late, fields=fields).annotate(
        waiting_since=waiting_since(coordinator_steps=coordinator_steps)
    )


class WaitingCases(SlicedLikeAQueryset):
    """A coordinator's working list (the queue, the inbox, "My cases"): the cases of
    ``queryset`` in the order ``sort`` names (``QUEUE_SORTS``), each row with what
    ``with_waiting_since`` gives. Counted and sliced like a queryset (``Paginator``,
    ``home_views.first_items``).

    Issue 17: a slice is one query that picks the slice's case ids from the cases
    alone (their waiting time and, to sort by it, the organisation's name) and joins
    the ten tables of a list row for those ids only; the count does not compute the
    waiting times. The same rows in the same order as ``sorted_cases(with_waiting_since(
    queryset))`` (``tests/unit/cases/test_waiting_lists_same_as_before.py``).

    Session 8: My cases and the queue pick a page's ids from covering indexes of their
    cases (``case_handled_open``, ``case_queue_rows``: migration ``sparring 0027``) and
    each case's waiting time from the index of the open steps (``open_step_q``). Sorting
    still computes the time of each case of the list (about 2 µs a case).

    With ``walk`` (My cases), a list of at least ``WALK_FROM`` cases in the order of the
    waiting time picks a page's ids by walking the open steps in the order they opened
    (``_walk``), which stops at the page's end, in a query of its own (inside the row
    query its plan took 10 ms longer to make); then the rows by id. So such a page is two
    queries plus the count, whatever the number of cases; a page that reaches the cases
    with no open step (last in that order) is read as above.
    """

    #: The number of cases from which ``walk`` reads a page along the open steps.
    WALK_FROM = 500

    def __init__(
        self, queryset, sort: str = "", *, coordinator_steps: bool = False, walk: bool = False
    ):
        self.queryset = queryset
        self.coordinator_steps = coordinator_steps
        _label, self.order = QUEUE_SORTS.get(sort, QUEUE_SORTS["waiting"])
        #: The order of ``_walk`` when ``walk`` and the list is by waiting time, else
        #: None: without ``nulls_last`` (the walked cases have a time), so that the index
        #: read forwards or backwards gives it.
        self.walk_order = (
            WALK_ORDERS.get(sort if sort in QUEUE_SORTS else "waiting") if walk else None
        )
        super().__init__()

    def _count_rows(self) -> int:
        return self.queryset.order_by().count()

    def _rows(self, index: slice) -> list:
        if (
            self.walk_order is not None
            and index.stop is not None
            and self.count() >= self.WALK_FROM
        ):
            walked = list(self._walk()[: index.stop])
            if len(walked) == index.stop:  # else the page reaches cases with no open step
                rows = with_waiting_since(
                    Case.objects.filter(pk__in=walked[index.start or 0 :]),
                    coordinator_steps=self.coordinator_steps,
                    related=QUEUE_TABLE_RELATED,
                    late=False,
                    fields=QUEUE_TABLE_FIELDS,
                )
                return list(rows.order_by(*self.order))
        ids = (
            self.queryset.annotate(
                waiting_since=waiting_since(coordinator_steps=self.coordinator_steps)
            )
            .order_by(*self.order)
            .values("pk")[index]
        )
        rows = with_waiting_since(
            Case.objects.filter(pk_among(ids)),
            coordinator_steps=self.coordinator_steps,
            related=QUEUE_TABLE_RELATED,
            late=False,
            fields=QUEUE_TABLE_FIELDS,
        )
        return list(rows.order_by(*self.order))

    def _walk(self):
        """The ids of the cases of ``queryset`` that have an open step, in ``walk_order``,
        read along the open steps (``task_open_step_created``, migration ``sparring
        0024``): each case at its oldest open step (none of its process's open steps
        opened before it, by ``created`` then id). PostgreSQL stops at the slice's end
        instead of computing the waiting time of every case of the list (issue 17: a
        coordinator with 5 000 cases at 100 000)."""
        from viewflow.workflow.models import Task

        earlier = Task.objects.filter(
            open_step_q(coordinator_steps=self.coordinator_steps),
            process_id=OuterRef("process_id"),
        ).filter(
            Q(created__lt=OuterRef("waiting_since"))
            | Q(created=OuterRef("waiting_since"), pk__lt=OuterRef("step_id"))
        )
        return (
            self.queryset.filter(
                open_step_q(coordinator_steps=self.coordinator_steps, prefix="process__task__")
            )
            .annotate(waiting_since=F("process__task__created"), step_id=F("process__task__id"))
            .filter(~Exists(earlier))
            .order_by(*self.walk_order)
            .values_list("pk", flat=True)
        )

    def __iter__(self):
        return iter(self[:])


def consultant_offers(consultant):
    from procurement.models import Offer

    return (
        Offer.objects.filter(consultant=consultant, status=Offer.Status.OFFERED)
        .select_related("case__organisation", "case__theme", "case__sector", "case__call")
        .order_by("deadline")
    )


def consultant_assignments(consultant):
    """The consultant's cases that have not ended, as rows of the case table.

    ``states.OPEN``: the cases not ended, drafts aside (a consultant is called off after
    the approval, so no draft has one); with drafts named, PostgreSQL could not count them
    from the index of open cases by consultant (``case_open_by_consultant``, migration
    ``sparring 0026``) and read their rows (4 ms for 1 094 at 100 000 cases, issue 17)."""
    return case_list(
        Case.objects.filter(consultant=consultant).filter(status__in=states.OPEN),
        CASE_TABLE_RELATED,
        fields=CASE_TABLE_FIELDS,
    )


def consultant_invitations(consultant):
    """Open mini-competitions to which the consultant's supplier is invited."""

    from procurement.models import MiniCompetition

    return (
        MiniCompetition.objects.filter(
            status=MiniCompetition.Status.OPEN,
            invited=consultant.supplier,
            deadline__gt=clock.now(),
        )
        .select_related("case__organisation", "case__theme")
        .order_by("deadline")
    )


def visible_case(request, pk: int) -> Case:
    """The case ``pk`` if the request's user may see it (404 otherwise), with its page's joins."""
    from sparring import access

    return case_page(access.visible_cases(request.user), pk)


#: What the case page's actions read with the case (``action_case``); the flow benchmark
#: hands the services the case read the same way.
ACTION_CASE_RELATED = ("call", "organisation", "process")


def action_case(request, pk: int, related: tuple[str, ...] | None = None) -> Case:
    """The case ``pk`` for one of its page's actions if the request's user may see it (404
    otherwise), joined only to ``related``: by default (None) what most steps' services
    read (its call, organisation and flow process, ``ACTION_CASE_RELATED``); other
    relations load when a service uses them.

    The page's query joins ten tables, which PostgreSQL takes 10–20 ms to plan; when
    many people post the same step at once, one wins and the others are refused, and
    each refusal should cost little (issue 17).
    """
    from django.shortcuts import get_object_or_404

    from sparring import access

    related = ACTION_CASE_RELATED if related is None else related
    cases = access.visible_cases(request.user)
    # (select_related() without names would join every foreign key)
    return get_object_or_404(cases.select_related(*related) if related else cases, pk=pk)


# ------------------------------------------------------------------------------
# Deadlines of the waiting steps and the late cases (issue 14)
# ------------------------------------------------------------------------------


def open_step_deadlines():
    """The deadlines of the steps open now, of open cases, with what a list row shows
    (one query; ``StepDeadline.late_days`` and ``is_late`` need nothing more).

    Open: the step's task is neither done nor cancelled (``StepDeadline.finished``, the
    task's, copied by ``deadline_triggers``), read from the partial indexes of the open
    rows by due date or waiting time, and counted from them alone (issue 17). The case's
    status is not asked: a case ends (closed, rejected: its last step done; withdrawn,
    cancelled: ``transitions.flow_cancel`` cancels every open task) in the transaction
    that finishes its steps, so an open step is an open case's
    (``tests/unit/api/test_late_and_task_lists.py`` checks every way a case ends).
    """
    return StepDeadline.objects.open().select_related(
        "case__organisation", "case__call", "case__handler"
    )


def late_step_exists():
    """For annotating cases: one of the case's open steps is past its due date.

    A scalar subquery (``(SELECT ... LIMIT 1) IS NOT NULL``) rather than ``EXISTS``:
    PostgreSQL may turn an ``EXISTS`` into a hash of every late open step of the
    programme (a scan of all tasks: 1.1 s at 100 000 cases), while this is computed only
    for the rows of the page, each by the index on ``StepDeadline.case`` (issue 17).
    """
    late = (
        StepDeadline.objects.open()
        .filter(case=OuterRef("pk"), due__lt=clock.now())
        .values("pk")[:1]
    )
    return IsNull(Subquery(late), False)


def latest_late_cases(limit: int = 5):
    """The steps that became late last (the coordinator home's box)."""
    return open_step_deadlines().filter(due__lt=clock.now()).order_by("-due", "-pk")[:limit]


def case_step_deadline(case: Case) -> StepDeadline | None:
    """The deadline of the step the case waits at now (None: no step with a deadline)."""
    return StepDeadline.objects.open().filter(case=case).order_by("due").first()


# ------------------------------------------------------------------------------
# Paging a list whose matches can be very many (issue 17)
# ------------------------------------------------------------------------------


class CappedPaginator(Paginator):
    """A paginator that counts at most ``cap`` + 1 rows.

    Counting every match of a common search word over 100 000 cases cost a second; a
    list says "more than 1 000 cases" instead, and pages up to the cap (the reader
    narrows the search to see further). ``capped``: there are more than ``cap``.
    """

    #: The default cap: 20 pages of 50.
    CAP = 1000

    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap or self.CAP

    @cached_property
    def count(self) -> int:
        capped_count = getattr(self.object_list, "capped_count", None)
        if capped_count is not None:
            return capped_count(self.cap + 1)
        return self.object_list[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        """The pages up to the cap (``cap / per_page``, rounded up) when the list is capped,
        else all of them. The count reads one row past the cap only to tell that there are
        more: that row is no page of its own (a list of "more than 1 000" once ended on a
        page 21 holding the 1 001st case alone); a number past the last page shows the
        last (``get_page``)."""
        if self.capped:
            return ceil(self.cap / self.per_page)
        return super().num_pages


class CaseListRows:
    """The rows of the case list (``case_list``'s), read one page at a time (issue 17).

    Made of the parts of a search (``search.search_parts``; one part when nothing is
    searched): the matches are their union, newest first (``created``, then ``pk``,
    descending: ``case_list``'s order). A page costs two queries whatever the number of
    cases: the page's ids (the union of each part's first ids up to the page's end, read
    newest first from the index ``case_newest_first`` or from the part's own index), then
    those rows with everything a row shows (``case_list``, ``late_step_exists`` for the
    page's rows only). A search on PostgreSQL costs one more: the probe that tells, for
    each part, whether reading it newest first ends soon (``_walks``). ``CappedPaginator``
    counts with ``capped_count``.

    ``tests/unit/cases/test_case_list_paging.py`` checks that the pages hold what
    ``case_list`` of the filtered queryset does, in the same order.
    """

    ORDER = ("-created", "-pk")

    def __init__(self, parts: list, *, probe: bool = False, samples: list | None = None):
        """Args:
        parts: querysets of cases whose union the list is.
        samples: querysets of some of those cases, each read from an index
            (``search.search_sample``): when one alone has more than the paginator's cap,
            that is the count, and the parts are not counted (``capped_count``).
        probe: the parts are a search's over every case (``search.search_parts``; a
            coordinator's): each part's first matches are probed before they are read
            (``_walks``). Not for a reader who sees some cases only: the index of their
            cases (an organisation's, a consultant's) bounds what is read newest first,
            and the probe, which counts among the newest cases of all, would send
            their parts to be sorted needlessly.
        """
        from django.db import connection

        self.probe = probe

        if len(parts) > 1 and not connection.features.supports_slicing_ordering_in_compound:
            # SQLite cannot limit the parts of a UNION: one part, their OR (small data)
            parts = [
                Case.objects.filter(reduce(or_, (Q(pk__in=part.values("pk")) for part in parts)))
            ]
        self.parts = [part.order_by() for part in parts]
        self.samples = [sample.order_by() for sample in samples or []]

    def capped_count(self, limit: int) -> int:
        """How many cases match, counted up to ``limit`` (ids only, no joins). One query.

        The samples first (``samples``: "SP-2024" has 15 000 cases at 100 000, and its
        reference's index counts ``limit`` of them in under a millisecond, where testing
        the cases' texts until ``limit`` matched cost 12 ms); when one holds ``limit``
        cases, that is the count. Else, with several parts, the first part's first
        ``limit`` are read once (a ``MATERIALIZED`` CTE), and when they fill the cap the
        other parts are not read (a ``CASE`` branch's subquery runs only when it is
        reached): "työnjako" fills the cap from the case's own texts, and the union also
        read the reports' 77 000 matches of it (7 of the count's 14 ms). Else the count is
        their union's, up to ``limit``.
        """
        from django.core.exceptions import EmptyResultSet
        from django.db import connection

        def compiled(querysets):
            found = []
            for queryset in querysets:
                try:
                    found.append(queryset.values("pk")[:limit].query.sql_with_params())
                except EmptyResultSet:  # a part that can match nothing (an empty scope)
                    continue
            return found

        if len(self.parts) == 1:  # (SQLite's one part; a list without a search)
            return self.parts[0].values("pk")[:limit].count()
        samples, parts = compiled(self.samples), compiled(self.parts)
        if not parts:
            return 0
        params, whens = [], []
        for sample_sql, sample_params in samples:
            whens.append(f"WHEN (SELECT count(*) FROM ({sample_sql}) AS sample) >= %s THEN %s")  # noqa: S608 (compiled querysets, parameters bound)
            params += [*sample_params, limit, limit]
        (head_sql, head_params), rest = parts[0], parts[1:]
        whens.append("WHEN (SELECT count(*) FROM head) >= %s THEN %s")
        params += [limit, limit]
        union = "SELECT pk FROM head" + "".join(f" UNION ({sql})" for sql, _p in rest)  # noqa: S608
        params.append(limit)
        for _sql, part_params in rest:
            params += part_params
        sql = (
            f"WITH head AS MATERIALIZED ({head_sql}) SELECT CASE {' '.join(whens)}"  # noqa: S608
            f" ELSE (SELECT LEAST(count(*), %s) FROM ({union}) AS matches) END"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*head_params, *params])
            return cursor.fetchone()[0]

    def _ids(self, start: int, stop: int) -> list[int]:
        if len(self.parts) == 1:
            ordered = self.parts[0].order_by(*self.ORDER)
        else:
            # the first ``stop`` of the union are among the first ``stop`` of each part
            probed = self.probe and stop is not None
            walks = self._walks(stop) if probed else [True] * len(self.parts)
            firsts = [
                self._firsts(part, stop, walk) for part, walk in zip(self.parts, walks, strict=True)
            ]
            ordered = Case.objects.filter(pk__in=firsts[0].union(*firsts[1:])).order_by(*self.ORDER)
        return list(ordered.values_list("pk", flat=True)[start:stop])

    #: A part's first ``stop`` matches are read newest first when they are among the
    #: newest ``PROBE_FACTOR * stop`` cases (``_walks``).
    PROBE_FACTOR = 10

    def _walks(self, stop: int) -> list[bool]:
        """For each part (PostgreSQL, several parts: a search), whether its first ``stop``
        matches are among the newest ``PROBE_FACTOR * stop`` cases. One query; each
        answer reads at most that many cases.

        Why (issue 17, session 8): newest first, PostgreSQL stops at the page's end,
        which is quick when the matches are spread over time (a common word) and slow
        when they are all old: ``SP-2024`` matched 15 000 cases behind 44 000 newer ones
        (80–110 ms at 100 000 cases). Such a part is read from its indexes and sorted
        (``_firsts``: 20 ms). The planner cannot tell the two apart (it assumes the
        matches spread evenly), so the first matches are probed.
        """
        newest = Case.objects.order_by(*self.ORDER).values("created")[
            self.PROBE_FACTOR * stop - 1 : self.PROBE_FACTOR * stop
        ]
        # (when there are fewer cases, all of them: the earliest moment there is)
        since = Coalesce(Subquery(newest), Value(datetime.min.replace(tzinfo=UTC)))
        probes = []
        for part in self.parts:
            recent = part.filter(created__gte=since)
            probes.append(recent.order_by(*self.ORDER).values("pk")[stop - 1 : stop])
        from django.core.exceptions import EmptyResultSet
        from django.db import connection

        columns, params = [], []
        for probe in probes:
            try:
                probe_sql, probe_params = probe.query.sql_with_params()
            except EmptyResultSet:  # a part that can match nothing: read at once
                columns.append("TRUE")
                continue
            columns.append(f"EXISTS ({probe_sql})")
            params += probe_params
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(columns), params)
            return list(cursor.fetchone())

    def _firsts(self, part, stop: int, walk: bool):
        """The ``pk`` of the part's first ``stop`` matches, newest first: read in that
        order (``walk``), or all read from the part's indexes and sorted, ordered by
        ``created`` plus nothing, an expression that no index gives in order."""
        if walk:
            return part.order_by(*self.ORDER).values("pk")[:stop]
        unindexed = ExpressionWrapper(
            F("created") + Value(timedelta(0)), output_field=DateTimeField()
        )
        return part.alias(_created=unindexed).order_by("-_created", "-pk").values("pk")[:stop]

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("CaseListRows takes a slice")
        start, stop = index.start or 0, index.stop
        if stop is not None and stop <= start:
            return []  # as a queryset's empty slice: no query
        ids = self._ids(start, stop)
        if not ids:
            return []
        rows = case_list(Case.objects.all(), CASE_TABLE_RELATED, fields=CASE_TABLE_FIELDS)
        rows = rows.in_bulk(ids)
        return [rows[pk] for pk in ids]

    def __len__(self) -> int:  # Paginator uses ``count`` (capped) instead; for safety only
        return self.capped_count(CappedPaginator.CAP + 1)
