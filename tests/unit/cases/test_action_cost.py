"""What a refused step costs (issue 17: 32 people completing one task at once).

When many post the same step together, one wins and the others are refused; the
refused ones must cost little, or the last of them waits for all the others' work.
"""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sparring.models import AuditEvent, Case

pytestmark = pytest.mark.django_db

APPROVE = {"decision": "approve", "approved_days": "2", "comment": ""}


def _case_queries(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured
        if q["sql"].startswith("SELECT") and 'FROM "sparring_case"' in q["sql"]
    ]


def test_a_refused_approval_reads_the_case_with_few_joins_and_few_queries(
    submitted_case, coordinator, client_for
):
    client = client_for(coordinator)
    url = f"/cases/{submitted_case.pk}/do/decide/"
    stale = {**APPROVE, "version": submitted_case.version}
    assert client.post(url, stale).status_code == 302  # the winner
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, stale)  # a colleague's page opened before: refused
    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)][-1] == "warning"
    case_reads = _case_queries(queries.captured_queries)
    assert len(case_reads) == 1
    # the case page's query joins ten tables (PostgreSQL plans it for 10-20 ms); an
    # action reads only what its service needs at once
    assert case_reads[0].count(" JOIN ") <= 3
    assert len(queries.captured_queries) <= 6
    assert AuditEvent.objects.filter(case=submitted_case, action="case_approved").count() == 1
    assert Case.objects.get(pk=submitted_case.pk).status == Case.Status.APPROVED


def test_an_action_on_a_case_one_may_not_see_is_404(submitted_case, client_for, other_applicant):
    response = client_for(other_applicant).post(
        f"/cases/{submitted_case.pk}/do/withdraw/",
        {"reason": "x", "version": submitted_case.version},
    )
    assert response.status_code == 404


def test_a_form_error_shows_the_whole_case_page_again(submitted_case, coordinator, client_for):
    response = client_for(coordinator).post(
        f"/cases/{submitted_case.pk}/do/decide/",
        {"decision": "return", "comment": "", "version": submitted_case.version},
    )
    assert response.status_code == 400
    assert submitted_case.organisation.name_fi in response.content.decode()


def test_a_call_off_from_a_stale_page_is_refused_before_anyone_is_ranked(
    submitted_case, coordinator, consultant, agreement, client_for, monkeypatch
):
    """The call-off's form ranks every consultant and adds up the agreement's ledger; a
    page older than the case is refused before that work (a colleague called off first)."""
    from procurement import calloff
    from sparring.cases import services

    services.case_decide(
        actor=coordinator,
        case=submitted_case,
        decision=services.Decision.APPROVE,
        comment="",
        approved_days=2,
        version=submitted_case.version,
    )
    case = Case.objects.get(pk=submitted_case.pk)
    assert calloff.agreement_in_force(call=case.call) == agreement

    def ranked(*args, **kwargs):
        raise AssertionError("ranked for a stale page")

    monkeypatch.setattr(calloff, "candidates", ranked)
    response = client_for(coordinator).post(
        f"/cases/{case.pk}/do/call_off/",
        {"version": case.version - 1, "consultant": "", "justification": ""},
    )
    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)][-1] == "warning"
    assert Case.objects.get(pk=case.pk).status == Case.Status.APPROVED


@pytest.mark.parametrize("version", ["", "x", "²", "9" * 5000, " 1 "])
def test_a_version_that_is_no_number_is_left_to_the_form(
    version, submitted_case, coordinator, client_for
):
    response = client_for(coordinator).post(
        f"/cases/{submitted_case.pk}/do/decide/", {**APPROVE, "version": version}
    )
    assert response.status_code in (302, 400)


def _sql(captured) -> list[str]:
    return [q["sql"] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_a_refused_decision_reads_the_session_the_person_and_the_bare_case(
    submitted_case, coordinator, client_for
):
    """A page older than the case costs three statements: the session, the person (both
    on every signed-in request) and the case alone, joined to nothing: a decision's
    service reads the call again under its lock and the process with the step's task,
    so no one of the 31 refused of 32 simultaneous decisions pays for those joins
    (issue 17: about 1 ms of Python each for 64 columns)."""
    client = client_for(coordinator)
    url = f"/cases/{submitted_case.pk}/do/decide/"
    client.get("/home/")  # the session's own first-request writes, if any
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, {**APPROVE, "version": submitted_case.version - 1})
    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)][-1] == "warning"
    sql = _sql(queries.captured_queries)
    assert len(sql) == 3, sql
    assert 'FROM "django_session"' in sql[0]
    assert 'FROM "sparring_user"' in sql[1]
    assert 'FROM "sparring_case"' in sql[2]
    assert " JOIN " not in sql[2]


@pytest.mark.parametrize(
    ("decision", "comment"), [("approve", ""), ("return", "Tarkenna."), ("reject", "Ei.")]
)
def test_a_decision_reads_nothing_more_than_with_the_joins(
    decision, comment, submitted_case, coordinator, client_for
):
    """The decision's statements, counted: without the call, organisation and process
    joined to the case, nothing of them is read one by one afterwards."""
    client = client_for(coordinator)
    client.get("/home/")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            f"/cases/{submitted_case.pk}/do/decide/",
            {
                "decision": decision,
                "approved_days": "2",
                "comment": comment,
                "version": submitted_case.version,
            },
        )
    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)][-1] == "success"
    sql = _sql(queries.captured_queries)
    expected = DECISION_STATEMENTS["postgresql" if connection.vendor == "postgresql" else "sqlite"]
    assert len(sql) == expected[decision], sql


#: Statements of one decision POSTed (with the joins, before issue 17's cut of them).
DECISION_STATEMENTS = {
    "postgresql": {"approve": 10, "return": 8, "reject": 11},
    "sqlite": {"approve": 14, "return": 12, "reject": 14},
}
