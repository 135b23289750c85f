"""What the figures' modules share: the scope of a figure, the steps and groups they
show, the result types, rounding and the five-answer rule's helpers. ``figures.py``
and ``impact.py`` (from the per-case rows), ``rolled.py`` (from the rollup) and
``live.py`` (from the records) all read them from here (no import cycle between
them: ``figures`` and ``impact`` hand a scope the rollup serves to ``rolled``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sparring.models import Call, Case
from sparring.surveys import disclosure

from .models import CaseFigures, FigureRollup

WHOLE_ORGANISATION = "Koko organisaatio"
# Accepted: approved by a coordinator (a decision with days), whatever happened later.
ACCEPTED = Q(approved_days__isnull=False) & ~Q(status=Case.Status.REJECTED)

FUNNEL = [
    ("submitted", _("Submitted")),
    ("approved", _("Approved")),
    ("called_off", _("Consultant found")),
    ("held", _("Days held")),
    ("reported", _("Report filed")),
    ("closed", _("Closed")),
]
LEAD_TIMES = [
    ("application_to_decision", _("Application → decision")),
    ("decision_to_first_day", _("Decision → first day")),
    ("last_day_to_report", _("Last day → report")),
]


@dataclass(frozen=True)
class Scope:
    """Which cases the figures cover: a call, and applications submitted in a date range."""

    call: Call | None = None
    start: date | None = None
    end: date | None = None

    def cases(self) -> QuerySet[Case]:
        cases = Case.objects.exclude(status=Case.Status.DRAFT)
        if self.call is not None:
            cases = cases.filter(call=self.call)
        if self.start is not None:
            cases = cases.filter(submitted_at__date__gte=self.start)
        if self.end is not None:
            cases = cases.filter(submitted_at__date__lte=self.end)
        return cases

    def rollup_serves(self) -> bool:
        """Whether the rollup (``FigureRollup``) holds exactly this scope's cases: no date
        range, or a range of whole months (from a first day, until a last day), in the
        time zone the rollup's months are in (``settings.TIME_ZONE``)."""
        if timezone.get_current_timezone_name() != settings.TIME_ZONE:
            return False
        if self.start is not None and self.start.day != 1:
            return False
        return self.end is None or (self.end + timedelta(days=1)).day == 1

    def rollup(self, dim: str) -> QuerySet[FigureRollup]:
        """The rollup rows of grouping ``dim`` covering this scope (``rollup_serves``
        must hold): its call, the months of its range; without a range the rows of the
        whole calls (``rollup.WHOLE_CALL``)."""
        from .rollup import ORGANISATION, WHOLE_CALL

        if self.start is None and self.end is None and dim != ORGANISATION:
            dim += WHOLE_CALL  # the call's rows over all months
        rows = FigureRollup.objects.filter(dim=dim)
        if self.call is not None:
            rows = rows.filter(call=self.call)
        if self.start is not None:
            rows = rows.filter(month__gte=self.start)
        if self.end is not None:
            rows = rows.filter(month__lte=self.end.replace(day=1))
        return rows

    def figures(self) -> QuerySet[CaseFigures]:
        """The maintained rows of ``cases()`` (same filters, on the copied columns)."""
        rows = CaseFigures.objects.exclude(status=Case.Status.DRAFT)
        if self.call is not None:
            rows = rows.filter(call=self.call)
        if self.start is not None:
            rows = rows.filter(submitted_at__date__gte=self.start)
        if self.end is not None:
            rows = rows.filter(submitted_at__date__lte=self.end)
        return rows


def _one_decimal(value) -> float | None:
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _days(value) -> float | None:
    """A mean duration in days, one decimal."""
    if value is None:
        return None
    return _one_decimal(value.total_seconds() / 86400)


def _mean(total, count) -> float | None:
    return total / count if count else None


SMALLEST_GROUP = disclosure.MIN_ANSWERS

# code, label, keywords (lower case, Finnish, Swedish and English word stems)
RESULT_TYPES = [
    (
        "shared_understanding",
        _("Structure and a shared understanding of the current state"),
        ("ymmärry", "nykytila", "gemensam förståelse", "nuläge", "shared understanding"),
    ),
    ("wake_up", _("Wake-up moments"), ("herät", "ahaa", "aha-", "väck", "wake-up", "eye-open")),
    ("guidance", _("Guidance for further work"), ("suunta", "riktning", "guidance", "direction")),
    (
        "plans",
        _("Concrete follow-up proposals and plans"),
        ("suunnitelm", "kokeilu", "ehdotu", "plan", "förslag", "försök", "proposal", "pilot"),
    ),
    (
        "ground_rules",
        _("Tools and ground rules"),
        ("pelisään", "käytän", "työkalu", "spelregl", "verktyg", "ground rule", "tool"),
    ),
    (
        "commitment",
        _("Commitment to a shared target state"),
        ("sitoutu", "tavoitetila", "engagemang", "åtagande", "commitment", "target state"),
    ),
    (
        "together",
        _("A culture of doing things together"),
        ("yhdessä tekemi", "yhteistyö", "tillsammans", "samarbet", "together", "collaborat"),
    ),
    (
        "division_of_work",
        _("Clearer division of work and roles"),
        ("työnja", "rooli", "vastuu", "arbetsfördelning", "roller", "ansvar", "division of work"),
    ),
    ("new_ideas", _("New ideas"), ("idea", "ideo", "idé")),
    ("future", _("A clearer picture of the future"), ("tulevaisuu", "framtid", "future")),
    ("participation", _("More participation"), ("osallis", "delaktighet", "participat")),
]

GROUPS = {
    "sector": ("survey__case__sector__name_fi", _("Sector")),
    "theme": ("survey__case__theme__name_fi", _("Theme")),
    "supplier": ("survey__case__consultant__supplier__name", _("Supplier")),
    "consultant": ("survey__case__consultant__user__last_name", _("Consultant")),
}
# the same groups on the per-case figures
FIGURE_GROUPS = {
    "sector": "sector__name_fi",
    "theme": "theme__name_fi",
    "supplier": "consultant__supplier__name",
}


def _share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in per cent, one decimal; None from fewer than SMALLEST_GROUP."""
    if whole < SMALLEST_GROUP:
        return None
    return _one_decimal(100 * part / whole)


def disclosed(average, answers: int) -> float | None:
    """The average, one decimal, if it comes from at least ``SMALLEST_GROUP`` answers."""
    return _one_decimal(average) if answers >= SMALLEST_GROUP else None


def programme_tail(
    *, participants: int, survey, agreements, by_sector: dict, by_theme: dict
) -> dict:
    """The part of the programme figures that both of their sources (the per-case rows in
    ``figures.py``, the rollup in ``rolled.py``) finish the same way.

    Args:
        participants: participants of the filed reports in the scope.
        survey: the released survey figures (``disclosure.released_figures`` or the
            rollup's equivalent): ``grade`` and ``answers``.
        agreements: ids of the framework agreements the scope's call-offs used.
        by_sector, by_theme: accepted applications per name.

    The response rate is shown only from ``disclosure.MIN_ANSWERS`` answers (the
    five-answer rule, ``sparring/surveys/disclosure.py``); otherwise None.
    """
    from procurement.models import Consultant, Supplier

    return {
        "participants": participants,
        "average_grade": _one_decimal(survey.grade),
        "answers": survey.answers,
        "response_rate": _one_decimal(100 * survey.answers / participants)
        if participants and survey.answers >= disclosure.MIN_ANSWERS
        else None,
        "suppliers": Supplier.objects.filter(agreement__in=agreements).count(),
        "consultants": Consultant.objects.filter(supplier__agreement__in=agreements).count(),
        "by_sector": by_sector,
        "by_theme": by_theme,
    }
