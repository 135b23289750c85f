"""The budget ledger, the monthly invoicing basis and the fairness report."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from procurement import reports
from procurement.services import supplier_create
from sparring.cases import services
from sparring.statistics import aggregates
from tests.conftest import make_consultant
from tests.unit.procurement.test_calloff import approved_case

pytestmark = pytest.mark.django_db(transaction=True)


def delivered_case(applicant, coordinator, call, consultant_user, held=1):
    """A case called off to ``consultant_user``, dates confirmed and ``held`` days held today."""
    from datetime import timedelta

    case = approved_case(applicant, coordinator, call)
    offer = services.case_call_off(
        actor=coordinator,
        case=case,
        consultant=consultant_user.consultant,
        justification="Testi",
        version=case.version,
    )
    services.offer_answer(actor=consultant_user, offer=offer, accept=True)
    case.refresh_from_db()
    today = timezone.localdate()
    # Each case of the consultant on dates of its own: a consultant is never booked on
    # the same hours for two cases (schedule.validate_days refuses double booking).
    from sparring.models import SessionDay

    offset = 2 * (
        SessionDay.objects.filter(case__consultant=consultant_user.consultant)
        .values("case")
        .distinct()
        .count()
    )
    days = [
        {
            "date": today + timedelta(days=offset + n),
            "start_time": "09:00",
            "end_time": "15:00",
            "place": "Talo",
            # whatever weekday the suite runs on (tests/unit/cases/test_days_off.py checks the rule)
            "non_working_confirmed": True,
        }
        for n in range(case.days)
    ]
    from datetime import time

    for d in days:
        d["start_time"], d["end_time"] = time(9), time(15)
    services.schedule_propose(actor=consultant_user, case=case, days=days, version=case.version)
    case.refresh_from_db()
    services.schedule_confirm(
        actor=applicant, case=case, accept=True, comment="", version=case.version
    )
    for day in case.days_planned.filter(status="confirmed").order_by("date")[:held]:
        day.date = today
        day.save(update_fields=["date"])
        services.session_day_record(actor=consultant_user, day=day, participants=12)
    case.refresh_from_db()
    return case


def test_the_ledger_counts_committed_and_delivered_days_at_each_suppliers_price(
    applicant, coordinator, open_call, agreement, supplier
):
    kalle = make_consultant("kalle.k", supplier)
    delivered_case(applicant, coordinator, open_call, kalle, held=1)

    ledger = reports.ledger(agreement)
    (line,) = ledger.lines
    assert (line.committed_days, line.delivered_days, line.cases) == (2, 1, 1)
    assert line.committed_eur == Decimal("2300.00")
    assert line.delivered_eur == Decimal("1150.00")
    assert ledger.remaining_eur == agreement.budget - Decimal("2300.00")


def test_a_call_off_that_would_exceed_the_budget_is_refused(
    applicant, coordinator, open_call, agreement, supplier
):
    make_consultant("kalle.k", supplier)
    agreement.budget = Decimal("2000.00")
    agreement.save()
    case = approved_case(applicant, coordinator, open_call, days=2)  # 2 × 1150 € = 2300 €
    with pytest.raises(ValidationError, match="2300"):
        services.case_call_off(actor=coordinator, case=case, version=case.version)
    case.refresh_from_db()
    assert case.status == "approved"


def test_invoicing_basis_as_csv_and_xlsx(
    applicant, coordinator, open_call, agreement, supplier, client_for
):
    kalle = make_consultant("kalle.k", supplier)
    case = delivered_case(applicant, coordinator, open_call, kalle, held=2)
    client = client_for(coordinator)
    month = timezone.localdate().strftime("%Y-%m")

    csv_text = client.get(f"/procurement/invoicing/?month={month}&format=csv").content.decode(
        "utf-8-sig"
    )
    lines = [line for line in csv_text.splitlines() if line]
    assert len(lines) == 3  # header and the two days
    assert case.reference in lines[1] and "1150" in lines[1]

    xlsx = client.get(f"/procurement/invoicing/?month={month}&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[1][2] == case.reference and rows[1][6] == 1150.0

    other_month = client.get("/procurement/invoicing/?month=2001-01&format=csv").content.decode(
        "utf-8-sig"
    )
    assert len([line for line in other_month.splitlines() if line]) == 1
    page = client.get(f"/procurement/invoicing/?month={month}")
    assert page.status_code == 200 and case.reference in page.content.decode()


def test_fairness_compares_shares_with_the_plan(
    applicant, coordinator, open_call, agreement, supplier
):
    other = supplier_create(
        actor=None,
        name="Työyhteisövalmennus Ky",
        business_id="7654321-2",
        ranking_position=2,
        day_price="1000",
        agreement=agreement,
        planned_share=3,
    )
    kalle = make_consultant("kalle.k", supplier)
    make_consultant("veera.v", other)
    delivered_case(applicant, coordinator, open_call, kalle, held=0)

    supplier_lines, consultant_lines = reports.fairness(agreement)
    first, second = supplier_lines
    assert (first.days, first.planned_share, first.actual_share) == (2, 0.25, 1.0)
    assert (second.days, second.planned_share, second.actual_share) == (0, 0.75, 0.0)
    assert [line.days for line in consultant_lines] == [2, 0]


@pytest.mark.parametrize("role", ["applicant", "consultant", "steering"])
def test_reports_are_for_coordinators_only(role, users_by_role, agreement, client_for):
    client = client_for(users_by_role[role])
    for url in (
        "/procurement/ledger/",
        "/procurement/invoicing/?format=csv",
        "/procurement/fairness/",
    ):
        assert client.get(url).status_code == 403, url


def test_the_ledger_page_runs_the_same_queries_for_one_or_three_cases(
    applicant, coordinator, open_call, agreement, supplier, client_for
):
    kalle = make_consultant("kalle.k", supplier, capacity_total=100, capacity_per_month=20)
    client = client_for(coordinator)
    delivered_case(applicant, coordinator, open_call, kalle, held=1)
    client.get("/procurement/ledger/")
    with CaptureQueriesContext(connection) as one:
        client.get("/procurement/ledger/")
    delivered_case(applicant, coordinator, open_call, kalle, held=2)
    delivered_case(applicant, coordinator, open_call, kalle, held=0)
    # The first reader after the changes folds them in: a bounded number more (one
    # fold-in round, whatever the rows), not one per case; with nothing queued the
    # fold-in is a single EXISTS, so compare the counts with the queue in one state.
    with CaptureQueriesContext(connection) as folding:
        client.get("/procurement/ledger/")
    assert len(one) < len(folding) <= len(one) + aggregates.FOLD_IN_QUERIES
    with CaptureQueriesContext(connection) as three:
        page = client.get("/procurement/ledger/")
    assert len(one) == len(three)
    assert "6 900" in page.content.decode().replace("\xa0", " ")  # 6 days × 1150 €


def test_the_invoicing_page_shows_one_page_of_days_and_the_months_total(
    applicant, coordinator, open_call, agreement, supplier, client_for, monkeypatch
):
    """The HTML list is paginated (bounded however many days a month holds); the total
    is the whole month's, the CSV still holds every day, and the query count does not
    grow with the days."""
    from procurement import report_views

    monkeypatch.setattr(report_views, "INVOICING_PAGE_SIZE", 2)
    kalle = make_consultant("kalle.k", supplier, capacity_total=100, capacity_per_month=20)
    client = client_for(coordinator)
    month = timezone.localdate().strftime("%Y-%m")
    delivered_case(applicant, coordinator, open_call, kalle, held=1)
    client.get(f"/procurement/invoicing/?month={month}")
    with CaptureQueriesContext(connection) as one:
        client.get(f"/procurement/invoicing/?month={month}")
    delivered_case(applicant, coordinator, open_call, kalle, held=2)
    client.get(f"/procurement/invoicing/?month={month}")  # folds the new case in
    with CaptureQueriesContext(connection) as three:
        first = client.get(f"/procurement/invoicing/?month={month}").content.decode()
    assert len(one) == len(three)
    assert first.count("<tr><td>") == 2  # one page of the three days
    assert "3 450" in first.replace("\xa0", " ")  # 3 days × 1150 €, the whole month
    second = client.get(f"/procurement/invoicing/?month={month}&page=2").content.decode()
    assert second.count("<tr><td>") == 1 and "3 450" in second.replace("\xa0", " ")
    assert client.get(f"/procurement/invoicing/?month={month}&page=x").status_code == 200
    csv_text = client.get(f"/procurement/invoicing/?month={month}&format=csv").content.decode(
        "utf-8-sig"
    )
    assert len([line for line in csv_text.splitlines() if line]) == 4  # header, 3 days
