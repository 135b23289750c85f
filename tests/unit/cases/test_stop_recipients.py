"""Withdrawal and cancellation read the people they tell once (issue 17).

They tell the applicant side, the coordinators, the case's consultant and the consultant
of an open offer. Each party was read on its own (the applicant, the coordinators, the
consultant and their account, the contact's accounts for the link): now
``notifications.step_people`` reads them in one query, as the other steps do. Who is
told, in which language and with which link, is as before.
"""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sparring.cases import services
from sparring.models import Case, OutboundEmail
from tests.unit.cases.test_case_flow import approve, fresh, offer_to, walk_to_delivery

pytestmark = pytest.mark.django_db


def _people_reads(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "sparring_user"' in q["sql"]
    ]


def _told() -> dict[str, tuple[str, bool]]:
    return {
        e.to: (e.language, "/cases/" in e.body_text)
        for e in OutboundEmail.objects.filter(subject__icontains="SP-")
    }


def test_a_withdrawal_reads_the_people_it_tells_once(
    submitted_case, coordinator, consultant, applicant
):
    case = walk_to_delivery(submitted_case, coordinator, consultant, applicant)
    OutboundEmail.objects.all().delete()
    mail.outbox.clear()
    case = fresh(case)  # as the action view hands it over: no person loaded
    with CaptureQueriesContext(connection) as queries:
        services.case_withdraw(
            actor=applicant, case=case, reason="Organisaatiomuutos", version=case.version
        )
    assert len(_people_reads(queries)) == 1, _people_reads(queries)
    told = _told()
    assert set(told) == {
        applicant.email,
        case.contact_email,
        coordinator.email,
        consultant.email,
    }
    # the link to the case: for the accounts that may open it, not the contact without one
    assert told[applicant.email][1] and told[coordinator.email][1] and told[consultant.email][1]
    assert not told[case.contact_email][1]
    assert told[consultant.email][0] == consultant.language


def test_a_cancellation_tells_the_consultant_of_the_open_offer_reading_people_once(
    submitted_case, coordinator, consultant
):
    approve(submitted_case, coordinator)
    offer_to(submitted_case, coordinator, consultant)
    OutboundEmail.objects.all().delete()
    case = fresh(submitted_case)
    with CaptureQueriesContext(connection) as queries:
        services.case_cancel(
            actor=coordinator, case=case, reason="Päällekkäinen hakemus", version=case.version
        )
    assert fresh(case).status == Case.Status.CANCELLED
    assert len(_people_reads(queries)) == 1, _people_reads(queries)
    assert consultant.email in _told()
    assert coordinator.email in _told()
