"""The programme's figures, computed from the case records with aggregate queries.

Nothing here is stored: every figure is a query over cases, days, reports and
survey answers, so one more case moves exactly the figures it should.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q, Sum

from procurement.models import Consultant, Supplier

from .models import Case, Report, SessionDay, SurveyAnswer

WHOLE_ORGANISATION = "Koko organisaatio"
# Accepted: approved by a coordinator (a decision with days), whatever happened later.
ACCEPTED = Q(approved_days__isnull=False) & ~Q(status=Case.Status.REJECTED)


def programme_figures() -> dict:
    """The headline figures and the tables by sector and theme (Finnish names as keys)."""
    accepted = Case.objects.filter(ACCEPTED)
    headline = accepted.aggregate(
        accepted_applications=Count("pk"),
        organisations=Count("organisation", distinct=True),
    )
    days_delivered = SessionDay.objects.filter(
        case__in=accepted, status=SessionDay.Status.HELD
    ).count()
    participants = (
        Report.objects.filter(case__in=accepted, revision__gte=1).aggregate(n=Sum("participants"))[
            "n"
        ]
        or 0
    )
    grade = SurveyAnswer.objects.filter(survey__case__in=accepted).aggregate(g=Avg("overall"))["g"]
    by_sector = {
        row["sector__name_fi"] or WHOLE_ORGANISATION: row["n"]
        for row in accepted.values("sector__name_fi")
        .annotate(n=Count("pk"))
        .order_by("-n", "sector__name_fi")
    }
    by_theme = {
        row["theme__name_fi"]: row["n"]
        for row in accepted.values("theme__name_fi")
        .annotate(n=Count("pk"))
        .order_by("-n", "theme__name_fi")
    }
    return {
        **headline,
        "days_delivered": days_delivered,
        "participants": participants,
        "average_grade": float(Decimal(str(grade)).quantize(Decimal("0.1"), ROUND_HALF_UP))
        if grade
        else None,
        "suppliers": Supplier.objects.filter(active=True, agreement__isnull=False).count(),
        "consultants": Consultant.objects.filter(
            active=True, supplier__active=True, supplier__agreement__isnull=False
        ).count(),
        "by_sector": by_sector,
        "by_theme": by_theme,
    }
