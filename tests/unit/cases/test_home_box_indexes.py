"""The consultant's home reads each box from an index in the box's order, and the homes'
new-messages boxes read the messages of the reader's side only (issue 17).

At 100 000 cases the home took 56 ms against 25 ms at 10 (single request): its open
offers were read from the index of every open offer of the programme and sorted, the count
of its assignments named drafts (which no consultant has) so the index of open cases by
consultant did not apply, and the new-messages box read every message of the programme to
find those a consultant may see.
"""

import pytest
from django.db import connection

from sparring.cases import selectors
from sparring.conversation.selectors import unread_messages
from tests.plans import plan_nodes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner")


def _nodes(queryset_or_sql):
    sql, params = queryset_or_sql.query.sql_with_params()
    return plan_nodes(sql, params)


def test_the_open_offers_box_is_read_in_deadline_order_from_the_consultants_index(consultant):
    nodes = _nodes(selectors.consultant_offers(consultant.consultant)[:11])
    assert any("offer_open_by_consultant_due" in node for node in nodes), nodes
    assert not any(node.startswith(("Sort", "Incremental Sort")) for node in nodes), nodes


def test_the_assignments_count_can_be_read_from_the_index_of_open_cases_by_consultant(
    consultant,
):
    """The count names the open statuses, which ``case_open_by_consultant``'s condition
    holds, so PostgreSQL can count from that index alone (4.0 -> 0.2 ms at 100 000 cases;
    with drafts named it could not). Which index an empty test table's plan picks is the
    planner's whim (the CI's picked the consultant's plain index), so only index-only scans
    are left on: the count is answered from the index alone only if it applies."""
    from sparring.cases import states

    assignments = selectors.consultant_assignments(consultant.consultant)
    sql, params = assignments.order_by().values("pk").query.sql_with_params()
    assert set(states.OPEN) <= set(params) and "draft" not in params
    nodes = plan_nodes(
        f"SELECT COUNT(*) FROM ({sql}) counted",  # noqa: S608 (our own SQL)
        params,
        off=("seqscan", "bitmapscan", "indexscan"),
    )
    assert any(node == "Index Only Scan:case_open_by_consultant" for node in nodes), nodes


@pytest.mark.parametrize(
    ("index", "party"),
    [("message_consultant_side", "consultant"), ("message_applicant_side", "applicant")],
)
def test_the_index_of_a_sides_messages_holds_exactly_what_that_side_may_see(
    index, party, submitted_case, consultant, applicant, coordinator
):
    """``message_consultant_side`` and ``message_applicant_side`` (migrations
    ``conversation 0002`` and ``0003``) are what the homes' new-messages boxes read at
    scale; PostgreSQL uses a partial index only while its condition is the rule's
    (``access.visible_messages``). At 100 000 cases the consultant's box read every message
    of the programme without its index (7 ms, 0.06 ms with it) and the largest
    organisation's box visited each of its messages (8.4 ms, 4.1 ms with it). A change of
    the rule fails here: the indexes must change with it."""
    from sparring import access
    from sparring.conversation.models import Audience, CaseMessage, Party

    submitted_case.consultant = consultant.consultant
    submitted_case.save(update_fields=["consultant"])
    for author_party in Party.values:
        for audience in Audience.values:
            CaseMessage.objects.create(
                case=submitted_case,
                author=coordinator,
                author_party=author_party,
                audience=audience,
                body=f"{author_party} {audience}",
            )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = %s::regclass",
            [index],
        )
        condition = cursor.fetchone()[0]
        cursor.execute(f"SELECT id FROM conversation_casemessage WHERE {condition}")  # noqa: S608 (the index's own)
        indexed = {row[0] for row in cursor.fetchall()}
    reader = {"consultant": consultant, "applicant": applicant}[party]
    visible = set(access.visible_messages(reader).values_list("pk", flat=True))
    assert indexed == visible and len(visible) == 9  # 5 by the side, 2 x 2 to it


def test_an_applicants_new_messages_are_read_from_the_index_of_the_applicant_side(applicant):
    newest = unread_messages(applicant).order_by("-pk").values_list("case_id", "pk")[:105]
    nodes = _nodes(newest)
    assert any("message_applicant_side" in node for node in nodes), nodes


def test_a_consultants_new_messages_never_walk_every_message_of_the_programme(consultant):
    newest = unread_messages(consultant).order_by("-pk").values_list("case_id", "pk")[:105]
    nodes = _nodes(newest)
    assert not any("conversation_casemessage_pkey" in node for node in nodes), nodes
