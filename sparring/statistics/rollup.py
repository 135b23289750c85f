"""The figure rollup: ``FigureRollup`` rows, sums of ``CaseFigures`` per call, month and
grouping (docs/architecture.md, "Figures").

- **One definition.** ``contribution(row)`` is what one case's ``CaseFigures`` row adds to
  the rollup: its keys (one per ``DIMS``) and its measures (``ROLLUP_MEASURES``).
- **Kept by the fold-in.** ``aggregates._refresh_some`` passes the old and the new rows of
  the cases it folds in to ``apply``: old contributions subtracted, new ones added, in one
  ``INSERT … ON CONFLICT (key) DO UPDATE SET m = m + excluded.m`` per 500 keys (the same
  statement on SQLite and PostgreSQL), in the fold-in's transaction.
- **Rebuilt and checked.** ``rebuild`` rewrites the rollup from the stored ``CaseFigures``;
  ``check`` lists the differences between the stored rollup and the sums of the rows
  recomputed from the records (``manage.py check_aggregates``).

Distinct organisations (not a sum) are counts kept beside the sums (``counted``); with
a date range the readers count them on ``CaseFigures``. What the rollup cannot hold,
the readers take elsewhere: surveys not flagged closed (whether
they have closed depends on the clock) from ``CaseFigures`` by a partial index; a date
range not made of whole months from ``CaseFigures`` (``figures.Scope.rollup``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from sparring.models import Case

from .models import ROLLUP_MEASURES, CaseFigures, FigureRollup

MIN_ANSWERS = 5  # disclosure.MIN_ANSWERS (imported lazily there; checked in tests)
ALL, STATUS, SECTOR, THEME, CONSULTANT, AGREEMENTS, ORGANISATION = (
    "all",
    "status",
    "sector",
    "theme",
    "consultant",
    "agreements",
    "organisation",
)
# dim -> the FigureRollup column holding its value (None: no value)
DIMS = {
    ALL: None,
    STATUS: "status",
    SECTOR: "sector_id",
    THEME: "theme_id",
    CONSULTANT: "consultant_id",
    AGREEMENTS: "agreements",
    ORGANISATION: "organisation_id",
}
# The same groupings over all months of a call (``month`` None): a scope without a date
# range reads these, a twentieth of the rows (``figures.Scope.rollup``).
WHOLE_CALL = "/c"
DIMS |= {dim + WHOLE_CALL: column for dim, column in DIMS.items() if dim != ORGANISATION}
# Distinct organisations (not a sum): each organisation's accepted cases over the whole
# programme (rows of call PROGRAMME, the organisation's rows of every call summed), and
# the counts of organisations with accepted cases: per call (that call's ORGANISATION
# rows with ``accepted`` > 0) and of the programme (its ORGANISATION_P rows so), in
# the column ``organisations`` of an ORGANISATIONS row (value None). ``counted`` is the
# one rule; ``apply`` moves a count when a row's ``accepted`` leaves or reaches 0.
ORGANISATION_P, ORGANISATIONS = "org/all", "org/count"  # dim: 12 characters at most
PROGRAMME = 0  # the call id of the programme's rows (no call has it)
DIMS |= {ORGANISATION_P: "organisation_id", ORGANISATIONS: None}
# The invoicing basis's month totals: per consultant and month of the days' dates (not
# of submission), call PROGRAMME; read by ``procurement.reports.invoicing_total``
# through the hook ``sparring.aggregates.invoicing_total`` (``invoicing_total`` here).
INVOICE = "invoice"
DIMS |= {INVOICE: "consultant_id"}
RESULT_BITS = 11  # len(impact.RESULT_TYPES); result_0 … result_10


def month_of(moment) -> date | None:
    """The first day of the month of ``moment`` in ``settings.TIME_ZONE`` (None for None;
    the service activates no other time zone, so this is the date filter's zone too)."""
    if moment is None:
        return None
    return timezone.localtime(moment, timezone.get_default_timezone()).date().replace(day=1)


def measures(row: CaseFigures) -> dict[str, int]:
    """What one submitted case adds to each measure (zeros left out). The one definition
    of every ``ROLLUP_MEASURES`` entry; the conditions are those of ``figures.py`` and
    ``impact.py`` on ``CaseFigures`` (accepted, decided, the disclosure units)."""
    m: dict[str, int] = {"cases": 1}
    m["approved"] = int(row.approved)
    m["called_off"] = int(row.consultant_id is not None)
    m["held"] = int(row.held_days > 0)
    m["reported"] = int(row.report_filed)
    m["closed"] = int(row.status == Case.Status.CLOSED)
    if row.decided and row.decision_us is not None:
        m["decision_sum"] = row.decision_us
        m["decision_n"] = 1
    if row.accepted:
        m["accepted"] = 1
        m["accepted_days"] = row.held_days
        if row.report_filed and row.participants is not None:
            m["participants"] = row.participants
        if row.decided and row.first_day_gap is not None:
            m["first_gap_sum"] = row.first_day_gap
            m["first_gap_n"] = 1
        if row.decided and row.report_gap is not None:
            m["report_gap_sum"] = row.report_gap
            m["report_gap_n"] = 1
        if row.consultant_id is not None:
            m["called_cases"] = 1
            m["called_days"] = row.held_days
        if row.survey_closed and row.survey_answers > 0:
            m.update(survey_measures(row))
        if row.report_filed:
            m["reports"] = 1
            m["reports_actions"] = int(row.report_actions)
            for bit in range(RESULT_BITS):
                if row.report_types & (1 << bit):
                    m[f"result_{bit}"] = 1
        m["fu_sent"] = row.follow_up_sent
        m["fu_answered"] = row.follow_up_answered
        m["fu_answers"] = row.follow_up_answers
        m["fu_impact"] = row.follow_up_impact
        m["fu_recommend"] = row.follow_up_recommend
        m["fu_done"] = row.follow_up_done
        m["fu_partly"] = row.follow_up_partly
        m["fu_not_done"] = row.follow_up_not_done
    return {name: value for name, value in m.items() if value}


def survey_measures(row) -> dict[str, int]:
    """The survey measures of a closed survey's case (a unit, or part of its call's pool).
    ``row`` has ``survey_answers``, ``survey_overall`` and ``grade_1`` … ``grade_5``."""
    if row.survey_answers >= MIN_ANSWERS:
        return {
            "unit_n": 1,
            "unit_answers": row.survey_answers,
            "unit_overall": row.survey_overall,
            **{f"unit_grade_{g}": getattr(row, f"grade_{g}") for g in range(1, 6)},
        }
    return {"small_answers": row.survey_answers, "small_overall": row.survey_overall}


def keys(row: CaseFigures) -> list[tuple]:
    """The rollup keys one submitted case adds to: (call, month, dim, value), one per dim,
    and (call, None, dim + WHOLE_CALL, value) for all months; the organisation's per call
    only."""
    month = month_of(row.submitted_at)
    values = {
        ALL: None,
        STATUS: row.status,
        SECTOR: row.sector_id,
        THEME: row.theme_id,
        CONSULTANT: row.consultant_id,
        AGREEMENTS: row.calloff_agreements,
    }
    return (
        [(row.call_id, month, dim, value) for dim, value in values.items()]
        + [(row.call_id, None, dim + WHOLE_CALL, value) for dim, value in values.items()]
        + [(row.call_id, None, ORGANISATION, row.organisation_id)]  # per call only
        + [(PROGRAMME, None, ORGANISATION_P, row.organisation_id)]
    )


def months_text(months: dict[date, int]) -> str:
    """``CaseFigures.held_months`` of {first day of a month: held days}: "2026-11:2,…"."""
    return ",".join(f"{m:%Y-%m}:{n}" for m, n in sorted(months.items()) if n)


def invoice(row: CaseFigures) -> dict[tuple, dict[str, int]]:
    """What one case adds to the invoicing basis's month totals: per month of its held
    days, their number and euros in cents at its agreed day price (no price: days, no
    euros), under its consultant (none: nothing; the basis lists called-off cases'
    days). The rule of ``procurement.reports.invoicing_total_live``, whatever the
    case's status."""
    if row.consultant_id is None or not row.held_months:
        return {}
    cents = int(row.agreed_day_price * 100) if row.agreed_day_price is not None else 0
    result = {}
    for part in row.held_months.split(","):
        month, n = part.split(":")
        first = date(int(month[:4]), int(month[5:7]), 1)
        m = {"invoice_days": int(n), "invoice_cents": int(n) * cents}
        result[(PROGRAMME, first, INVOICE, row.consultant_id)] = {k: v for k, v in m.items() if v}
    return result


def invoicing_total(agreement_id: int, month: date, supplier_id: int | None):
    """(held days, euros) of ``month`` (its first day) for the suppliers of agreement
    ``agreement_id`` (or supplier ``supplier_id`` alone): the sum of the INVOICE rows
    of their consultants (joined at reading time: a consultant's supplier as it stands).
    Euros a Decimal with cents, ``Decimal("0")`` when none, as the live aggregate.
    One query on a row per consultant."""
    from decimal import Decimal

    rows = FigureRollup.objects.filter(
        dim=INVOICE, month=month, consultant__supplier__agreement_id=agreement_id
    )
    if supplier_id is not None:
        rows = rows.filter(consultant__supplier_id=supplier_id)
    sums = rows.aggregate(n=Sum("invoice_days"), cents=Sum("invoice_cents"))
    cents = sums["cents"] or 0
    return sums["n"] or 0, (Decimal(cents) / 100).quantize(Decimal("0.01")) if cents else Decimal(
        "0"
    )


def contribution(row: CaseFigures | None) -> dict[tuple, dict[str, int]]:
    """Key -> measures one case's row adds to the rollup (nothing for None; a draft adds
    only its held days to the invoicing totals, ``invoice``)."""
    if row is None:
        return {}
    if row.status == Case.Status.DRAFT:
        return invoice(row)
    m = measures(row)
    accepted = {"accepted": m["accepted"]} if m.get("accepted") else {}
    added = {key: accepted if key[2] in (ORGANISATION, ORGANISATION_P) else m for key in keys(row)}
    return added | invoice(row)


def counted(key: tuple, accepted: int) -> tuple | None:
    """The ORGANISATIONS row that counts the rollup row ``key`` when its ``accepted`` is
    ``accepted`` (None: it counts nowhere). An organisation counts for a call, or for
    the programme, while it has an accepted case there."""
    call, _month, dim, _value = key
    if accepted > 0 and dim in (ORGANISATION, ORGANISATION_P):
        return (call, None, ORGANISATIONS, None)
    return None


def with_counts(total: dict) -> dict:
    """``total`` (key -> summed measures, as ``sums`` gives) with the ORGANISATIONS rows
    counted from it (``counted``): what the stored rollup must hold."""
    for key, m in list(total.items()):
        count = counted(key, m.get("accepted", 0))
        if count is not None:
            total[count]["organisations"] += 1
    return total


def _key_text(key: tuple) -> str:
    call, month, dim, value = key
    return f"{call}|{month.isoformat() if month else '-'}|{dim}|{'' if value is None else value}"


def sums(rows: Iterable[CaseFigures | None], sign: int = 1, into=None) -> dict:
    """Key -> summed measures of ``rows`` (times ``sign``), added to ``into``."""
    total = into if into is not None else defaultdict(lambda: defaultdict(int))
    for row in rows:
        for key, m in contribution(row).items():
            entry = total[key]
            for name, value in m.items():
                entry[name] += sign * value
    return total


def _columns(key: tuple) -> dict:
    call, month, dim, value = key
    columns = {"key": _key_text(key), "call_id": call, "month": month, "dim": dim}
    columns |= {"status": "", "sector_id": None, "theme_id": None, "consultant_id": None}
    columns["agreements"] = ""
    columns["organisation_id"] = None
    if DIMS[dim] is not None:
        columns[DIMS[dim]] = value
    return columns


def apply(old: Iterable[CaseFigures | None], new: Iterable[CaseFigures | None]) -> None:
    """Move the rollup from the ``old`` rows of some cases to their ``new`` rows: each old
    contribution subtracted, each new one added. Call inside the transaction that writes
    the new rows (the fold-in's). One statement per 500 keys moved (at least one: a
    fold-in of one change runs the same statements as a fold-in of nothing)."""
    delta = sums(old, -1)
    sums(new, 1, delta)
    changed = {key: m for key, m in delta.items() if any(m.values())}
    counts: dict = defaultdict(lambda: defaultdict(int))
    for key, now in _add(changed).items():  # an organisation row's accepted, moved
        before = now - changed[key].get("accepted", 0)
        for count, sign in ((counted(key, before), -1), (counted(key, now), 1)):
            if count is not None:
                counts[count]["organisations"] += sign
    _add({key: m for key, m in counts.items() if any(m.values())})  # one statement


def _add(delta: dict[tuple, dict[str, int]]) -> dict[tuple, int]:
    """Add ``delta`` to the stored rows (created when missing); returns the organisation
    rows' ``accepted`` after the addition (key -> value) for ``apply``'s counts."""

    table = FigureRollup._meta.db_table
    names = ["key", "call_id", "month", "dim", "status", "sector_id", "theme_id"]
    names += ["consultant_id", "agreements", "organisation_id", *ROLLUP_MEASURES]
    quoted = [connection.ops.quote_name(n) for n in names]
    month_field = FigureRollup._meta.get_field("month")
    rows = []
    by_text = {}
    for key, m in sorted(delta.items(), key=lambda item: _key_text(item[0])):
        by_text[_key_text(key)] = key
        columns = _columns(key)
        columns["month"] = month_field.get_db_prep_value(columns["month"], connection)
        rows.append([columns[n] for n in names[:10]] + [m.get(n, 0) for n in ROLLUP_MEASURES])
    updates = ", ".join(f"{q} = {table}.{q} + excluded.{q}" for q in quoted[10:])
    with connection.cursor() as cursor:
        if not rows:  # the same statements either way (aggregates.NONE)
            cursor.execute(f"UPDATE {table} SET cases = cases WHERE id = 0")  # noqa: S608 (a constant)
            return {}
        accepted = {}
        for start in range(0, len(rows), 500):
            batch = rows[start : start + 500]
            marks = ", ".join("(" + ", ".join(["%s"] * len(names)) + ")" for _r in batch)
            sql = (
                f"INSERT INTO {table} ({', '.join(quoted)}) VALUES {marks} "  # noqa: S608 (the model's names)
                f"ON CONFLICT ({quoted[0]}) DO UPDATE SET {updates} "
                f"RETURNING {quoted[0]}, {connection.ops.quote_name('accepted')}"
            )
            cursor.execute(sql, [value for row in batch for value in row])
            for text, value in cursor.fetchall():
                key = by_text[text]
                if key[2] in (ORGANISATION, ORGANISATION_P):
                    accepted[key] = value
    return accepted


def rebuild() -> None:
    """Rewrite the rollup from the stored ``CaseFigures`` (call after rebuilding them)."""
    with transaction.atomic():
        FigureRollup.objects.all().delete()
        total = with_counts(sums(CaseFigures.objects.iterator(chunk_size=2000)))
        _add({key: m for key, m in total.items() if any(m.values())})


def stored() -> dict[tuple, dict[str, int]]:
    """The stored rollup, key -> non-zero measures (rows of zeros left out)."""
    result = {}
    for row in FigureRollup.objects.iterator(chunk_size=2000):
        value = getattr(row, DIMS[row.dim]) if DIMS[row.dim] else None
        m = {name: getattr(row, name) for name in ROLLUP_MEASURES if getattr(row, name)}
        if m:
            result[(row.call_id, row.month, row.dim, value)] = m
    return result


def check(fresh_rows: Iterable[CaseFigures]) -> list[str]:
    """Every difference between the stored rollup and the sums of ``fresh_rows`` (the
    ``CaseFigures`` rows recomputed from the records), as text lines."""
    want = {
        key: {n: v for n, v in m.items() if v}
        for key, m in with_counts(sums(fresh_rows)).items()
        if any(m.values())
    }
    have = stored()
    problems = []
    for key in sorted(set(want) | set(have), key=_key_text):
        if want.get(key) != have.get(key):
            problems.append(
                f"FigureRollup {_key_text(key)}: stored {have.get(key)}, records {want.get(key)}"
            )
    return problems
