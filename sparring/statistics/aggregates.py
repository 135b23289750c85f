"""Keeping the maintained aggregates equal to the records (docs/architecture.md, "Figures").

Three tables: ``statistics.CaseFigures`` (one row per case),
``procurement.ConsultantLoad`` (one row per consultant, sums of its cases' rows) and
``statistics.FigureRollup`` (sums of the cases' rows per call, month and grouping,
``rollup.py``).

- **Marking.** Database triggers (migration ``statistics 0002``) append the case's id to
  ``FigureChange`` in the transaction of every insert, update or delete of a case, a
  day, a report, a survey or answer, an offer, a call-off record or a follow-up row.
  Nothing in the services has to remember it; bulk inserts and the admin are caught too.
- **Folding in.** ``refresh()`` locks the queued changes (in id order), recomputes the
  rows of those cases from the records (``case_rows``: the one definition of each
  column), writes them, and moves the rollup and the consultants' loads by difference
  (each case's old row's contribution out, its new row's in: never a sum over every
  case of a consultant, so a fold-in costs the same at 200 cases as at 100 000).
  One EXISTS when nothing is queued; otherwise a fixed number of queries whatever the
  number of changes (up to ``CHUNK`` cases).
  Every reader calls it first: the figures, the ledger, fairness, invoicing. Two
  refreshes at once serialise on the queue's rows; a change committed meanwhile
  stays queued for the next one.
- **The call-off's loads.** Under its agreement lock the call-off folds nothing in:
  ``current_loads`` reads the stored loads plus what the queued cases move (their
  records against their stored rows), in one statement.
- **Checking.** ``check()`` recomputes every row and load from the records and lists
  the differences; ``rebuild()`` rewrites everything (``manage.py check_aggregates``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone

from procurement.models import CallOff, Consultant, ConsultantLoad, Offer
from sparring.cases import states
from sparring.models import Case, SessionDay
from sparring.outcomes.followup import follow_up_actions
from sparring.outcomes.models import FollowUpAnswer, FollowUpInvitation
from sparring.surveys.models import SurveyAnswer

from . import rollup
from .impact import RESULT_TYPES, result_type_codes
from .models import CaseFigures, FigureChange

CHUNK = 2000
FIELDS = [
    f.attname
    for f in CaseFigures._meta.concrete_fields
    if f.attname != "case_id"  # the key
]


def _result_mask(text: str) -> int:
    codes = set(result_type_codes(text))
    return sum(1 << i for i, (code, _l, _w) in enumerate(RESULT_TYPES) if code in codes)


def _local_date(moment):
    return timezone.localtime(moment).date() if moment is not None else None


def case_rows(case_ids: Iterable[int]) -> dict[int, CaseFigures]:
    """The figures row of each case in ``case_ids``, computed from the records.

    The one definition of every ``CaseFigures`` column (see its help in models.py).
    Cases that no longer exist are absent from the result. Eight queries per
    ``CHUNK`` cases.
    """
    ids = sorted(set(case_ids))
    rows: dict[int, CaseFigures] = {}
    for start in range(0, len(ids), CHUNK):
        rows |= _chunk_rows(ids[start : start + CHUNK])
    return rows


def _chunk_rows(ids: list[int]) -> dict[int, CaseFigures]:
    cases = Case.objects.filter(pk__in=ids).values(
        "pk",
        "call_id",
        "status",
        "submitted_at",
        "decided_at",
        "organisation_id",
        "sector_id",
        "theme_id",
        "consultant_id",
        "approved_days",
        "agreed_day_price",
        "report__revision",
        "report__participants",
        "report__submitted_at",
        "report__results",
        "report__follow_up",
        "survey__id",
        "survey__closes_at",
        "survey__closed",
    )
    held: dict[int, dict] = {}
    for row in (
        SessionDay.objects.filter(case_id__in=ids, status=SessionDay.Status.HELD)
        .values("case_id", month=TruncMonth("date"))
        .annotate(n=Count("pk"), first=Min("date"), last=Max("date"))
        .order_by()
    ):  # per case and month of the day's date
        entry = held.setdefault(row["case_id"], {"n": 0, "months": {}})
        entry["n"] += row["n"]
        entry["first"] = min(entry.get("first", row["first"]), row["first"])
        entry["last"] = max(entry.get("last", row["last"]), row["last"])
        entry["months"][row["month"]] = row["n"]
    grades: dict[int, dict[int, int]] = defaultdict(dict)
    for case_id, overall, n in (
        SurveyAnswer.objects.filter(survey__case_id__in=ids)
        .values_list("survey__case_id", "overall")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        grades[case_id][overall] = n
    offered = dict(
        Offer.objects.filter(case_id__in=ids, status=Offer.Status.OFFERED)
        .order_by("pk")
        .values_list("case_id", "consultant_id")
    )
    agreements: dict[int, set[int]] = defaultdict(set)
    for case_id, agreement_id in CallOff.objects.filter(case_id__in=ids).values_list(
        "case_id", "agreement_id"
    ):
        agreements[case_id].add(agreement_id)
    invitations = {
        row["follow_up__case_id"]: row
        for row in FollowUpInvitation.objects.filter(follow_up__case_id__in=ids)
        .values("follow_up__case_id")
        .annotate(sent=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False)))
        .order_by()
    }
    follow_answers: dict[int, dict] = defaultdict(
        lambda: {"n": 0, "impact": 0, "recommend": 0, "yes": 0, "partly": 0, "no": 0}
    )
    for case_id, impact, recommend, actions_done in FollowUpAnswer.objects.filter(
        follow_up__case_id__in=ids
    ).values_list("follow_up__case_id", "impact", "recommend", "actions_done"):
        entry = follow_answers[case_id]
        entry["n"] += 1
        entry["impact"] += impact or 0
        entry["recommend"] += bool(recommend)
        for value in actions_done or []:
            if value in ("yes", "partly", "no"):
                entry[value] += 1

    rows = {}
    for case in cases:
        pk = case["pk"]
        approved = case["approved_days"] is not None
        decided_at, submitted_at = case["decided_at"], case["submitted_at"]
        days = held.get(pk)
        filed = (case["report__revision"] or 0) >= 1
        decided_on = _local_date(decided_at)
        reported_on = _local_date(case["report__submitted_at"])
        case_grades = grades.get(pk, {})
        follow = follow_answers.get(pk) or follow_answers.default_factory()
        sent = invitations.get(pk, {})
        rows[pk] = CaseFigures(
            case_id=pk,
            call_id=case["call_id"],
            status=case["status"],
            submitted_at=submitted_at,
            organisation_id=case["organisation_id"],
            sector_id=case["sector_id"],
            theme_id=case["theme_id"],
            consultant_id=case["consultant_id"],
            offered_consultant_id=offered.get(pk),
            approved_days=case["approved_days"],
            agreed_day_price=case["agreed_day_price"],
            approved=approved,
            accepted=approved and case["status"] != Case.Status.REJECTED,
            decided=decided_at is not None,
            decision_us=(
                (decided_at - submitted_at) // _MICROSECOND
                if decided_at is not None and submitted_at is not None
                else None
            ),
            held_days=days["n"] if days else 0,
            held_months=rollup.months_text(days["months"]) if days else "",
            first_day_gap=(days["first"] - decided_on).days if days and decided_on else None,
            report_gap=(reported_on - days["last"]).days if days and reported_on else None,
            report_filed=filed,
            participants=case["report__participants"] if filed else None,
            report_actions=filed and bool(follow_up_actions(case["report__follow_up"])),
            report_types=_result_mask(case["report__results"]) if filed else 0,
            calloff_agreements=",".join(str(a) for a in sorted(agreements.get(pk, ()))),
            has_survey=case["survey__id"] is not None,
            survey_closes_at=case["survey__closes_at"],
            survey_closed=bool(case["survey__closed"]),
            survey_answers=sum(case_grades.values()),
            survey_overall=sum(grade * n for grade, n in case_grades.items()),
            **{f"grade_{g}": case_grades.get(g, 0) for g in range(1, 6)},
            follow_up_sent=sent.get("sent", 0),
            follow_up_answered=sent.get("answered", 0),
            follow_up_answers=follow["n"],
            follow_up_impact=follow["impact"],
            follow_up_recommend=follow["recommend"],
            follow_up_done=follow["yes"],
            follow_up_partly=follow["partly"],
            follow_up_not_done=follow["no"],
        )
    return rows


class _Microsecond:
    """``timedelta // _MICROSECOND`` -> whole microseconds (exact, no float)."""

    def __rfloordiv__(self, delta) -> int:
        return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


_MICROSECOND = _Microsecond()


def load_rows(consultant_ids: Iterable[int]) -> dict[int, ConsultantLoad]:
    """The load of each consultant in ``consultant_ids``, summed from their cases' rows.

    The one definition of every ``ConsultantLoad`` counter (see its docstring). Two
    queries, over the rows of those consultants' cases only.
    """
    ids = sorted(set(consultant_ids))
    loads = {pk: ConsultantLoad(consultant_id=pk) for pk in ids}
    eur = F("approved_days") * F("agreed_day_price")
    held_eur = F("held_days") * F("agreed_day_price")
    committed = Q(status__in=states.COMMITTED)
    stopped = Q(status__in=states.STOPPED)
    queries = [
        (
            CaseFigures.objects.filter(consultant_id__in=[*ids, NONE])
            .values(key=F("consultant_id"))
            .annotate(
                s_committed_days=Sum("approved_days", filter=committed),
                s_committed_eur=Sum(eur, filter=committed),
                s_committed_cases=Count("pk", filter=committed),
                s_held_days=Sum("held_days"),
                s_held_eur=Sum(held_eur),
                s_stopped_days=Sum("held_days", filter=stopped),
                s_stopped_eur=Sum(held_eur, filter=stopped),
            )
        ),
        (
            CaseFigures.objects.filter(offered_consultant_id__in=[*ids, NONE])
            .values(key=F("offered_consultant_id"))
            .annotate(s_offered_days=Sum("approved_days"), s_offered_eur=Sum(eur))
        ),
    ]
    for query in queries:
        for row in query.order_by():
            load = loads[row.pop("key")]
            for name, value in row.items():
                if value is not None:
                    setattr(load, name.removeprefix("s_"), value)
    for load in loads.values():
        for name in ("committed_eur", "offered_eur", "held_eur", "stopped_eur"):
            setattr(load, name, Decimal(getattr(load, name)).quantize(Decimal("0.01")))
    return loads


def _write_rows(rows: Iterable[CaseFigures]) -> None:
    _upsert(CaseFigures, list(rows), "case", FIELDS)


def _write_loads(loads: Iterable[ConsultantLoad]) -> None:
    _upsert(ConsultantLoad, list(loads), "consultant", list(ConsultantLoad.COUNTERS))


# No case or consultant has the id 0: added to every list of ids in a fold-in, it keeps
# each of its statements running when a chunk moves no consultant or deletes no row, so
# a fold-in runs the same statements whether 1 or 500 changes were waiting.
NONE = 0


# The most statements one fold-in round runs (up to CHUNK queued changes): the EXISTS,
# a savepoint and its release, locks, eight reads of ``case_rows``, the writes in
# batches of 500, the consultants named and the loads' upsert. Tests bound a page's extra queries by it.
FOLD_IN_QUERIES = 30


def queued() -> bool:
    """Whether any change waits to be folded in (one small query)."""
    return FigureChange.objects.exists()


def refresh() -> int:
    """Fold the queued changes into ``CaseFigures`` and ``ConsultantLoad``.

    Returns the number of queued changes folded in. When nothing is queued: one
    statement (``queued``, an EXISTS on the queue) and nothing else, no savepoint.
    Otherwise the same statements whether 1 or ``CHUNK`` changes wait (about twenty),
    or three when another fold-in took them while this one waited for their lock;
    a longer queue than ``CHUNK`` takes another round. Either way a bounded number of
    queries, never growing with rows. Runs in its own atomic block (a savepoint inside
    the caller's transaction). Safe under concurrency: the queue's rows, then the case
    rows, then the loads are locked in key order, and a change committed meanwhile
    stays queued for the next refresh (a change committed after the EXISTS is a change
    committed after the read, as it would be after the fold-in).
    """
    if not queued():
        return 0
    done = 0
    while True:
        folded = _refresh_some()
        done += folded
        if folded < CHUNK:
            return done


def _upsert(model, objects: list, unique: str, fields: list[str]) -> None:
    if objects:
        model.objects.bulk_create(
            objects,
            update_conflicts=True,
            unique_fields=[unique],
            update_fields=fields,
            batch_size=500,
        )
    else:  # the same number of statements either way (see NONE)
        model.objects.filter(pk=NONE).update(**{fields[0]: F(fields[0])})


def _refresh_some() -> int:
    with transaction.atomic():
        queued = list(
            FigureChange.objects.select_for_update()
            .order_by("pk")
            .values_list("pk", "case_id")[:CHUNK]
        )
        if not queued:
            # Another fold-in took them while this one waited for their lock (a burst of
            # call-offs): it has done the work, nothing to recompute.
            return 0
        case_ids = sorted({case_id for _pk, case_id in queued})
        # Lock the rows of these cases (two refreshes of one case serialise) and note
        # whose loads they carried before.
        old = list(
            CaseFigures.objects.select_for_update()
            .filter(case_id__in=[*case_ids, NONE])
            .order_by("case_id")
        )
        rows = _chunk_rows([*case_ids, NONE])
        gone = set(case_ids) - set(rows)
        CaseFigures.objects.filter(case_id__in=[*gone, NONE]).delete()
        _upsert(CaseFigures, list(rows.values()), "case", FIELDS)
        # the rollup: these cases' old contributions out, their new ones in
        rollup.apply(old, rows.values())
        FigureChange.objects.filter(pk__in=[*(pk for pk, _c in queued), NONE]).delete()
        # the loads: these cases' old contributions out, their new ones in (by difference,
        # never a sum over every case of a consultant: the cost is that of the chunk)
        _apply_load_delta(old, rows.values())
        return len(queued)


def _apply_load_delta(old: Iterable[CaseFigures], new: Iterable[CaseFigures]) -> None:
    """Move ``ConsultantLoad`` from the ``old`` rows of some cases to their ``new`` rows.

    Each consultant's counters named by either side get (new contributions - old
    contributions) added, in one statement (an upsert in consultant order, so two
    fold-ins lock the loads in the same order); a consultant that no longer exists is
    left out (its load went with it). The contributions are ``_loads_from``'s (the same
    definitions as ``load_rows``). Call inside the fold-in's transaction, with the old
    rows locked: the rows' lock serialises two fold-ins of one case, so each difference
    is taken from the row the other left.
    """
    old, new = list(old), list(new)
    named = {c for row in old + new for c in (row.consultant_id, row.offered_consultant_id) if c}
    consultants = list(
        Consultant.objects.filter(pk__in=[*named, NONE]).order_by("pk").values_list("pk", flat=True)
    )
    before, after = _loads_from(old, consultants), _loads_from(new, consultants)
    delta = {
        pk: [after[pk][name] - before[pk][name] for name in ConsultantLoad.COUNTERS]
        for pk in consultants
    }
    changed = sorted(pk for pk, values in delta.items() if any(values))
    _add_loads([(pk, delta[pk]) for pk in changed])


def _add_loads(rows: list[tuple[int, list]]) -> None:
    """Add each ``(consultant id, counters in COUNTERS order)`` to its ``ConsultantLoad``
    (created when missing): one statement, the same one when nothing moves (see NONE)."""
    table = ConsultantLoad._meta.db_table
    quote = connection.ops.quote_name
    names = [quote("consultant_id"), *(quote(n) for n in ConsultantLoad.COUNTERS)]
    with connection.cursor() as cursor:
        if not rows:
            cursor.execute(
                f"UPDATE {table} SET {names[1]} = {names[1]} WHERE {names[0]} = %s",  # noqa: S608 (the model's names)
                [NONE],
            )
            return
        updates = ", ".join(f"{n} = {table}.{n} + excluded.{n}" for n in names[1:])
        marks = ", ".join("(" + ", ".join(["%s"] * len(names)) + ")" for _r in rows)
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES {marks} "  # noqa: S608 (the model's names)
            f"ON CONFLICT ({names[0]}) DO UPDATE SET {updates}",
            [value for pk, values in rows for value in (pk, *values)],
        )


def _empty_queue() -> None:
    """Empty the queue for a rebuild. On PostgreSQL a TRUNCATE: it leaves no dead rows
    for the next reader to step over, and a change committed by another transaction
    while the rebuild runs waits for its end, then stays queued."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {FigureChange._meta.db_table}")
    else:
        FigureChange.objects.all().delete()


def rebuild() -> None:
    """Recompute every ``CaseFigures`` row and ``ConsultantLoad`` from the records, then
    the ``FigureRollup`` from those rows."""
    with transaction.atomic():
        _empty_queue()
        ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
        CaseFigures.objects.exclude(case_id__in=Case.objects.values("pk")).delete()
        for start in range(0, len(ids), CHUNK):
            _write_rows(case_rows(ids[start : start + CHUNK]).values())
        ConsultantLoad.objects.exclude(consultant_id__in=Consultant.objects.values("pk")).delete()
        _write_loads(load_rows(Consultant.objects.values_list("pk", flat=True)).values())
        rollup.rebuild()


def _as_dict(instance, fields) -> dict:
    return {name: getattr(instance, name) for name in fields}


def _normal(value):
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return value


def check() -> list[str]:
    """Every difference between the stored aggregates and the records, as text lines.

    Recomputes each case's row and each consultant's load from the records (the
    queued changes included, as the readers would after ``refresh``). Empty when
    everything agrees.
    """
    problems: list[str] = []
    ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    stored_ids = set(CaseFigures.objects.values_list("case_id", flat=True))
    for extra in sorted(stored_ids - set(ids)):
        problems.append(f"CaseFigures {extra}: stored for a case that does not exist")
    all_fresh: list[CaseFigures] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        fresh = case_rows(chunk)
        all_fresh += fresh.values()
        stored = CaseFigures.objects.in_bulk(chunk)
        for pk in chunk:
            if pk not in stored:
                problems.append(f"CaseFigures {pk}: missing")
                continue
            want, have = _as_dict(fresh[pk], FIELDS), _as_dict(stored[pk], FIELDS)
            for name in FIELDS:
                if _normal(want[name]) != _normal(have[name]):
                    problems.append(
                        f"CaseFigures {pk}.{name}: stored {have[name]!r}, records {want[name]!r}"
                    )
    problems += rollup.check(all_fresh)
    consultants = list(Consultant.objects.values_list("pk", flat=True))
    # loads are sums of the stored rows; compare against sums of the fresh rows instead
    stored_loads = ConsultantLoad.objects.in_bulk(consultants)
    fresh_loads = _loads_from(all_fresh, consultants)
    for pk in consultants:
        have = stored_loads.get(pk) or ConsultantLoad(consultant_id=pk)
        for name in ConsultantLoad.COUNTERS:
            if _normal(getattr(have, name)) != _normal(fresh_loads[pk][name]):
                problems.append(
                    f"ConsultantLoad {pk}.{name}: stored {getattr(have, name)!r}, "
                    f"records {fresh_loads[pk][name]!r}"
                )
    return problems


def _loads_from(rows: Iterable[CaseFigures], consultants) -> dict[int, dict]:
    """``load_rows`` in Python over given rows (the check's independent sum)."""
    zero = Decimal("0.00")
    loads = {pk: dict.fromkeys(ConsultantLoad.COUNTERS, 0) for pk in consultants}
    for load in loads.values():
        for name in ("committed_eur", "offered_eur", "held_eur", "stopped_eur"):
            load[name] = zero
    for row in rows:
        price = row.agreed_day_price
        days = row.approved_days
        eur = days * price if days is not None and price is not None else zero
        if row.consultant_id in loads and row.status in states.COMMITTED:
            load = loads[row.consultant_id]
            load["committed_days"] += days or 0
            load["committed_eur"] += eur
            load["committed_cases"] += 1
        if row.offered_consultant_id in loads:
            load = loads[row.offered_consultant_id]
            load["offered_days"] += days or 0
            load["offered_eur"] += eur
        if row.consultant_id in loads and row.held_days:
            load = loads[row.consultant_id]
            held_eur = row.held_days * price if price is not None else zero
            load["held_days"] += row.held_days
            load["held_eur"] += held_eur
            if row.status in states.STOPPED:
                load["stopped_days"] += row.held_days
                load["stopped_eur"] += held_eur
    return loads


# The kinds of rows of ``current_loads``' one statement, and its euros' column.
_LOAD, _CASE, _OFFER, _HELD, _STORED = range(5)
_EUR = DecimalField(max_digits=14, decimal_places=2)

# A queue longer than this many cases (the beat not running) is folded in after the
# call-off's commit, so the call-off's reading of the queued cases stays short: each
# queued case costs ~0.3 ms of Python under the agreement's lock (measured at 100 000
# cases: 500 queued, 140 ms; the statement itself 11 ms), so at most ~60 ms.
LONG_QUEUE = 200


def current_loads(consultant_ids: Iterable[int]) -> tuple[dict[int, int], Decimal]:
    """The call-off's counters as the records stand now, without folding anything in.

    Returns (days (committed + offered) per consultant of ``consultant_ids``; the euros
    (committed + offered + stopped) of them all), the counters of ``ConsultantLoad``.
    The stored loads lag the records by the queued changes only (the triggers queue a
    case in the transaction that changes it; a fold-in moves the loads and deletes the
    queue rows in one): so the current load is the stored one plus, for each queued
    case, its contribution from its records minus that of its stored ``CaseFigures`` row.
    Both contributions are ``_loads_from``'s (the fold-in's definitions); the columns a
    load reads from the records (consultant, open offer's consultant, status, days,
    price, days held) are ``case_rows``'. One statement, so one snapshot: the loads,
    the queue, the stored rows and the records agree with each other even while a
    fold-in commits. It reads the queued cases' rows only (the beat keeps the queue
    short; a queue longer than ``LONG_QUEUE`` cases is folded in after the commit).
    """
    ids = sorted(set(consultant_ids))
    queue = FigureChange.objects.values("case_id")
    # typed NULLs: PostgreSQL matches each column's types across the union's parts
    null_int = Cast(Value(None), BigIntegerField())
    null_text = Cast(Value(None), CharField())
    null_eur = Cast(Value(None), _EUR)
    loads = ConsultantLoad.objects.filter(consultant_id__in=[*ids, NONE]).values_list(
        Value(_LOAD),
        null_int,
        "consultant_id",
        null_int,
        null_text,
        ExpressionWrapper(F("committed_days") + F("offered_days"), output_field=IntegerField()),
        ExpressionWrapper(
            F("committed_eur") + F("offered_eur") + F("stopped_eur"), output_field=_EUR
        ),
        null_int,
    )
    cases = Case.objects.filter(pk__in=queue).values_list(
        Value(_CASE),
        "pk",
        "consultant_id",
        null_int,
        "status",
        "approved_days",
        "agreed_day_price",
        null_int,
    )
    offers = Offer.objects.filter(case_id__in=queue, status=Offer.Status.OFFERED).values_list(
        Value(_OFFER), "case_id", "consultant_id", null_int, null_text, null_int, null_eur, null_int
    )
    held = SessionDay.objects.filter(case_id__in=queue, status=SessionDay.Status.HELD).values_list(
        Value(_HELD), "case_id", null_int, null_int, null_text, null_int, null_eur, null_int
    )
    stored = CaseFigures.objects.filter(case_id__in=queue).values_list(
        Value(_STORED),
        "case_id",
        "consultant_id",
        "offered_consultant_id",
        "status",
        "approved_days",
        "agreed_day_price",
        "held_days",
    )
    days: dict[int, int] = dict.fromkeys(ids, 0)
    eur = Decimal("0")
    records: dict[int, CaseFigures] = {}
    offered: dict[int, int] = {}
    held_days: dict[int, int] = defaultdict(int)
    before: list[CaseFigures] = []
    rows = loads.order_by().union(*(q.order_by() for q in (cases, offers, held, stored)), all=True)
    for kind, case_id, consultant, other, status, n_days, price, n in rows:
        if kind == _LOAD:
            if consultant in days:
                days[consultant] += n_days or 0
                eur += price or 0
        elif kind == _CASE:
            records[case_id] = CaseFigures(
                case_id=case_id,
                consultant_id=consultant,
                status=status,
                approved_days=n_days,
                agreed_day_price=price,
            )
        elif kind == _OFFER:
            offered[case_id] = consultant
        elif kind == _HELD:
            held_days[case_id] += 1
        else:
            before.append(
                CaseFigures(
                    case_id=case_id,
                    consultant_id=consultant,
                    offered_consultant_id=other,
                    status=status,
                    approved_days=n_days,
                    agreed_day_price=price,
                    held_days=n,
                )
            )
    for case_id, row in records.items():
        row.offered_consultant_id = offered.get(case_id)
        row.held_days = held_days.get(case_id, 0)
    after_loads, before_loads = _loads_from(records.values(), ids), _loads_from(before, ids)
    for pk in ids:
        new, old = after_loads[pk], before_loads[pk]
        days[pk] += sum(new[n] - old[n] for n in ("committed_days", "offered_days"))
        eur += sum(new[n] - old[n] for n in ("committed_eur", "offered_eur", "stopped_eur"))
    if len(records.keys() | {row.case_id for row in before}) > LONG_QUEUE:
        transaction.on_commit(refresh)
    return days, Decimal(eur).quantize(Decimal("0.01"))
