"""The maintained aggregates behind the programme's figures (docs/architecture.md, "Figures").

``CaseFigures`` holds, per case, everything a figure of ``figures.py`` and ``impact.py``
reads: the case's own columns the filters and groups use, and its days, report,
survey answers, call-offs, open offer and follow-up folded into counts. A figure
is then one aggregate over one narrow table instead of joins over every day,
answer and report.

Who keeps it current: database triggers (migration ``statistics 0002``) append the
case's id to ``FigureChange`` in the same transaction as any insert, update or
delete of a case or a row that moves its figures; ``aggregates.refresh()``
recomputes exactly those cases (and the consultants' loads they touch) before
any figure is read. ``manage.py check_aggregates`` recomputes everything and
compares; ``--rebuild`` repairs.
"""

from django.db import models


class FigureChange(models.Model):
    """A case whose figures have moved since they were last folded in (a queue, not a set:
    each change appends a row, so a change committed while a refresh runs is never lost)."""

    id = models.BigAutoField(primary_key=True)
    case_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"case {self.case_id}"


class CaseFigures(models.Model):
    """One case folded into the numbers the figures read (see the module docstring).

    Copies of the case's columns (call, status, dates, organisation, sector, theme,
    consultant, days, price) and derived counts. Survey columns hold every answer;
    the disclosure rule (``sparring/surveys/disclosure.py``) is applied when reading.
    """

    case = models.OneToOneField(
        "sparring.Case", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    call = models.ForeignKey(
        "sparring.Call", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    status = models.CharField(max_length=20)
    submitted_at = models.DateTimeField(null=True, editable=False)
    organisation = models.ForeignKey(
        "sparring.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    sector = models.ForeignKey(
        "sparring.Sector",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    theme = models.ForeignKey(
        "sparring.Theme",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    consultant = models.ForeignKey(
        "procurement.Consultant",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    # the consultant of the case's open offer (an open offer loads them before acceptance)
    offered_consultant = models.ForeignKey(
        "procurement.Consultant",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    approved_days = models.PositiveSmallIntegerField(null=True)
    agreed_day_price = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    approved = models.BooleanField(default=False)
    accepted = models.BooleanField(default=False)  # figures.ACCEPTED
    decided = models.BooleanField(default=False)
    decision_us = models.BigIntegerField(null=True)  # decided - submitted, microseconds
    held_days = models.PositiveIntegerField(default=0)
    # its held days per month of their date: "2026-11:2,2026-12:1" (the invoicing basis's
    # month totals, ``rollup.invoice``)
    held_months = models.CharField(max_length=400, default="")
    first_day_gap = models.IntegerField(null=True)  # first held day - decision date, days
    report_gap = models.IntegerField(null=True)  # report date - last held day, days
    report_filed = models.BooleanField(default=False)  # revision >= 1
    participants = models.PositiveIntegerField(null=True)  # of the filed report
    report_actions = models.BooleanField(default=False)  # names follow-up actions
    report_types = models.PositiveIntegerField(default=0)  # bit i: impact.RESULT_TYPES[i]
    calloff_agreements = models.CharField(max_length=200, default="")  # "1,3"
    has_survey = models.BooleanField(default=False)
    survey_closes_at = models.DateTimeField(null=True, editable=False)
    survey_closed = models.BooleanField(default=False)
    survey_answers = models.PositiveIntegerField(default=0)
    survey_overall = models.PositiveIntegerField(default=0)  # sum of the overall grades
    grade_1 = models.PositiveIntegerField(default=0)
    grade_2 = models.PositiveIntegerField(default=0)
    grade_3 = models.PositiveIntegerField(default=0)
    grade_4 = models.PositiveIntegerField(default=0)
    grade_5 = models.PositiveIntegerField(default=0)
    follow_up_sent = models.PositiveIntegerField(default=0)
    follow_up_answered = models.PositiveIntegerField(default=0)
    follow_up_answers = models.PositiveIntegerField(default=0)
    follow_up_impact = models.PositiveIntegerField(default=0)  # sum of impact grades
    follow_up_recommend = models.PositiveIntegerField(default=0)
    follow_up_done = models.PositiveIntegerField(default=0)  # actions rated "yes"
    follow_up_partly = models.PositiveIntegerField(default=0)
    follow_up_not_done = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["call", "submitted_at"], name="casefigures_call_submitted"),
            models.Index(fields=["consultant"], name="casefigures_consultant"),
            models.Index(fields=["offered_consultant"], name="casefigures_offered"),
            # distinct organisations of accepted cases, from the index alone
            models.Index(
                fields=["organisation", "call", "submitted_at", "status"],
                condition=models.Q(accepted=True),
                name="casefigures_accepted_org",
            ),
            # surveys not flagged closed: read beside the rollup (their closing is timed);
            # those past their closing time (the beat flags them within a minute) by a
            # range on the time, the calls with one still open from the index alone
            models.Index(
                fields=["survey_closes_at", "call"],
                condition=models.Q(has_survey=True, survey_closed=False),
                name="casefigures_survey_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"figures of case {self.case_id}"


# The sums a ``FigureRollup`` row holds (see its docstring). Each is a whole number: a
# count of cases or a sum of a ``CaseFigures`` column over the cases that satisfy its
# condition; ``rollup.contribution`` is the one definition of each.
ROLLUP_MEASURES = [
    "cases",  # every submitted case (not a draft)
    "approved",
    "called_off",  # a consultant is on the case
    "held",  # at least one day held
    "reported",  # report filed
    "closed",  # status closed
    "decision_sum",  # decided: decided - submitted, microseconds
    "decision_n",
    "accepted",  # figures.ACCEPTED
    "accepted_days",  # held days of accepted cases
    "participants",  # of accepted cases' filed reports
    "first_gap_sum",  # accepted and decided: days decision -> first day
    "first_gap_n",
    "report_gap_sum",  # accepted and decided: days last day -> report
    "report_gap_n",
    "called_cases",  # accepted with a consultant
    "called_days",  # their held days
    # accepted cases whose survey is flagged closed (a survey not yet flagged closed is
    # read from CaseFigures: whether it has closed depends on the clock)
    "unit_n",  # ... with at least disclosure.MIN_ANSWERS answers (a unit)
    "unit_answers",
    "unit_overall",
    "unit_grade_1",
    "unit_grade_2",
    "unit_grade_3",
    "unit_grade_4",
    "unit_grade_5",
    "small_answers",  # ... with 1 to MIN_ANSWERS - 1 answers (a call's pool)
    "small_overall",
    "reports",  # accepted with a filed report
    "reports_actions",  # ... naming follow-up actions
    *[f"result_{i}" for i in range(11)],  # ... naming impact.RESULT_TYPES[i]
    "fu_sent",  # accepted: follow-up sums
    "fu_answered",
    "fu_answers",
    "fu_impact",
    "fu_recommend",
    "fu_done",
    "fu_partly",
    "fu_not_done",
    # not a case's sum: rows of dim "org/count" count the organisations with accepted
    # cases of their call, or of the programme (``rollup.counted``); 0 in every other row
    "organisations",
    # dim "invoice" (call id 0, the month of the days' dates, a consultant): the held
    # days of the consultant's cases in that month and their euros in cents at each
    # case's agreed day price (``procurement.reports.invoicing_total``)
    "invoice_days",
    "invoice_cents",
]


class FigureRollup(models.Model):
    """Sums of the ``CaseFigures`` rows of submitted cases, per call, month of submission
    and one grouping the figures show (docs/architecture.md, "Figures").

    ``dim`` names the grouping and which one of ``status``, ``sector``, ``theme``,
    ``consultant``, ``agreements`` holds its value ("all": no grouping). Each case adds
    to one row of each ``dim``. The dim "organisation" is kept per call only (``month``
    None) and holds only ``accepted``: the distinct organisations of a scope without a
    date range are its rows with ``accepted`` > 0. ``key`` is the row's unique text key
    ("call|month|dim|value"). The dim "org/all" sums the organisation's rows of
    every call (call id 0: the programme); "org/count" rows hold only
    ``organisations``, the count of their call's (or the programme's) organisation rows
    with ``accepted`` > 0 (``rollup.counted``). Kept by the fold-in (``rollup.apply``: a case's old
    contribution subtracted, its new one added, in the fold-in's transaction) and
    rewritten by ``check_aggregates --rebuild``. A row may hold only zeros.
    """

    key = models.CharField(max_length=250, unique=True)
    call = models.ForeignKey(
        "sparring.Call", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    month = models.DateField(
        null=True, editable=False
    )  # first day, local time; None: never submitted
    dim = models.CharField(max_length=12)
    status = models.CharField(max_length=20, default="")
    sector = models.ForeignKey(
        "sparring.Sector",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    theme = models.ForeignKey(
        "sparring.Theme",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    consultant = models.ForeignKey(
        "procurement.Consultant",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    agreements = models.CharField(max_length=200, default="")
    organisation = models.ForeignKey(
        "sparring.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    locals().update({name: models.BigIntegerField(default=0) for name in ROLLUP_MEASURES})

    class Meta:
        indexes = [
            models.Index(fields=["dim", "call", "month"], name="figurerollup_dim_call"),
            # the distinct organisations of a scope without dates, from the index alone
            models.Index(
                fields=["call", "organisation"],
                condition=models.Q(dim="organisation", accepted__gt=0),
                name="figurerollup_organisations",
            ),
        ]

    def __str__(self) -> str:
        return self.key
