"""Fixtures shared by the case tests."""

import pytest

from sparring.reports.models import Report
from tests.unit.cases.test_case_views import submit_new


@pytest.fixture
def searchable_cases(submitted_case, applicant, other_applicant, open_call):
    """Three submitted cases of two organisations, each with its own words to find:
    the fixture's goal speaks of 'työnjaosta'; the school's unit, contact person and
    development need; the kitchen's report text. Returns (home care, school, kitchen)."""
    school = submit_new(
        other_applicant,
        open_call,
        unit="Perusopetus",
        goal="Opettajien yhteistyön vahvistaminen ja palaverikäytäntöjen uudistaminen.",
        development_need="Koulujen välinen tiedonkulku takkuaa.",
        contact_name="Liisa Rehtori",
    )
    kitchen = submit_new(
        applicant,
        open_call,
        unit="Ruokapalvelut",
        goal="Keittiöiden vuorosuunnittelu sujuvaksi.",
        development_need="Sijaisten perehdytys puuttuu.",
    )
    Report.objects.create(case=kitchen, results="Laadittiin perehdytyskansio ja vuorolista.")
    return submitted_case, school, kitchen
