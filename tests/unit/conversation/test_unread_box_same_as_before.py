"""The homes' "new messages" box (issue 17): ``cases_with_unread`` finds its cases from the
newest unread messages instead of grouping every message of every case. These tests hold
it to the grouping it replaced (kept here as the reference) for every role, every box
size and both of its paths (the window of newest messages, and the grouping it falls back
to when many unread messages sit on few cases), with read markers at random places."""

import random

import pytest
from django.db.models import Count, F, IntegerField, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from sparring import access
from sparring.conversation import selectors
from sparring.conversation.models import CaseMessage, ReadState
from sparring.models import Case, User
from tests.conftest import make_user
from tests.unit.cases.test_case_views import submit_new

pytestmark = pytest.mark.django_db


def reference_cases_with_unread(user, limit: int = 20) -> list[dict]:
    """The implementation before issue 17: every unread message grouped by case."""
    read_up_to = ReadState.objects.filter(case=OuterRef("case"), user=user).values("last_read")[:1]
    rows = list(
        access.visible_messages(user)
        .exclude(author=user)
        .annotate(read_up_to=Coalesce(Subquery(read_up_to), Value(0), output_field=IntegerField()))
        .filter(pk__gt=F("read_up_to"))
        .values("case")
        .annotate(unread=Count("pk"), newest=Max("pk"))
        .order_by("-newest")[:limit]
    )
    cases = Case.objects.select_related("organisation").in_bulk([row["case"] for row in rows])
    return [{"case": cases[row["case"]], "unread": row["unread"]} for row in rows]


# (author party, audience) pairs each side may write (access.MESSAGE_AUDIENCES)
WRITES = {
    "applicant": ("coordinators", "everyone"),
    "consultant": ("coordinators", "everyone"),
    "coordinators": ("everyone", "applicant", "consultant", "internal"),
}


@pytest.fixture
def people(applicant, other_applicant, coordinator, consultant, open_call):
    second = make_user(User.Role.COORDINATOR, "kerttu.koordinaattori")
    mine = [submit_new(applicant, open_call) for _ in range(4)]
    theirs = [submit_new(other_applicant, open_call) for _ in range(3)]
    # the consultant is assigned to two cases of each organisation
    Case.objects.filter(pk__in=[mine[0].pk, mine[1].pk, theirs[0].pk, theirs[1].pk]).update(
        consultant=consultant.consultant
    )
    return {
        "applicant": applicant,
        "other_applicant": other_applicant,
        "coordinator": coordinator,
        "second_coordinator": second,
        "consultant": consultant,
        "cases": mine + theirs,
    }


def write_messages(people, rng: random.Random, n: int, cases=None) -> None:
    cases = cases or people["cases"]
    for _ in range(n):
        case = rng.choice(cases)
        party = rng.choice(list(WRITES))
        author = {
            "applicant": people["applicant"]
            if case.organisation_id == people["applicant"].organisation_id
            else people["other_applicant"],
            "consultant": people["consultant"],
            "coordinators": rng.choice([people["coordinator"], people["second_coordinator"]]),
        }[party]
        CaseMessage.objects.create(
            case=case,
            author=rng.choice([author, author, None]),
            author_party=party,
            audience=rng.choice(WRITES[party]),
            body="x",
        )


def mark_some_read(people, rng: random.Random) -> None:
    ids = list(CaseMessage.objects.values_list("pk", flat=True))
    for role in ("applicant", "other_applicant", "coordinator", "second_coordinator", "consultant"):
        for case in people["cases"]:
            if rng.random() < 0.4:
                ReadState.objects.update_or_create(
                    case=case, user=people[role], defaults={"last_read": rng.choice(ids)}
                )


def assert_same_for_everyone(people) -> None:
    for role in ("applicant", "other_applicant", "coordinator", "second_coordinator", "consultant"):
        user = User.objects.get(pk=people[role].pk)
        for limit in (1, 2, 3, 5, 20):
            assert selectors.cases_with_unread(user, limit) == reference_cases_with_unread(
                user, limit
            ), (role, limit)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_box_lists_what_the_grouping_of_every_message_listed(people, seed):
    """Given messages of every party to every audience on seven cases and read markers at
    random places, when each person's box is read at sizes 1 to 20, then it lists the
    same cases in the same order with the same counts as the grouping it replaced."""
    rng = random.Random(seed)
    assert_same_for_everyone(people)  # nothing written yet
    write_messages(people, rng, 40)
    assert_same_for_everyone(people)
    mark_some_read(people, rng)
    assert_same_for_everyone(people)


def test_many_unread_messages_on_few_cases_take_the_grouping_path(people, monkeypatch):
    """Given more newest unread messages on one case than the window holds, when a box of
    two is read, then the fallback grouping gives the same answer (and is used)."""
    rng = random.Random(7)
    write_messages(people, rng, 15)
    write_messages(people, rng, 30, cases=[people["cases"][0]])
    coordinator = people["coordinator"]
    rows = selectors.unread_messages(coordinator).order_by("-pk").values_list("case_id")[:10]
    assert {case for (case,) in rows} == {people["cases"][0].pk}  # the window sees one case
    assert_same_for_everyone(people)


def test_the_box_keeps_its_query_count_with_more_cases(people, django_assert_num_queries):
    """Two queries whatever the number of cases with unread messages (one when none)."""
    coordinator = people["coordinator"]
    with django_assert_num_queries(1):
        assert selectors.cases_with_unread(coordinator) == []
    write_messages(people, random.Random(3), 5, cases=people["cases"][:2])
    with django_assert_num_queries(2):
        assert selectors.cases_with_unread(coordinator)
    write_messages(people, random.Random(4), 40)
    with django_assert_num_queries(2):
        assert len(selectors.cases_with_unread(coordinator)) >= 5


def reference_visible_messages(user):
    """``access.visible_messages(user)`` before session 9: an applicant's messages by a
    join to their organisation's cases (now: the case ids first, ``pk_among``)."""
    party = "applicant"
    return CaseMessage.objects.filter(case__organisation_id=user.organisation_id).filter(
        Q(author_party=party) | Q(audience__in=("everyone", party))
    )


def test_an_applicant_reads_the_messages_the_join_to_the_cases_gave(people):
    """Given messages of every party to every audience on both organisations' cases, each
    applicant may read the same messages as by the old join (the box reads them so)."""
    write_messages(people, random.Random(11), 40)
    for role in ("applicant", "other_applicant"):
        user = User.objects.get(pk=people[role].pk)
        expected = sorted(reference_visible_messages(user).values_list("pk", flat=True))
        assert expected
        assert sorted(access.visible_messages(user).values_list("pk", flat=True)) == expected


def test_the_counts_of_the_listed_cases_do_not_read_the_organisations_whole_case_list(
    people, django_assert_max_num_queries
):
    """The box counts the unread messages of the cases it lists, one subquery per case.
    Each carried the applicant's visibility rule as ``case_id = ANY(<every case of the
    organisation>)`` (``access.visible_messages``), which PostgreSQL took as an index
    condition: one probe of the message index per case of the organisation for each case
    listed (21 x 1 918 at 100 000 cases: 10 ms of the applicant home's 26 ms of SQL). The
    listed cases are known: the rule is checked on them (``among``), by their own rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    write_messages(people, random.Random(4), 30)
    applicant = User.objects.get(pk=people["applicant"].pk)
    with CaptureQueriesContext(connection) as queries:
        rows = selectors.cases_with_unread(applicant, 20)
    assert rows == reference_cases_with_unread(applicant, 20)
    assert rows  # the applicant has unread messages
    counting = queries.captured_queries[-1]["sql"]
    assert "COUNT(" in counting.upper()
    # the organisation's cases are not read as a list (ARRAY on PostgreSQL, IN on SQLite)
    assert "ARRAY(" not in counting.upper(), counting
    assert counting.upper().count("SELECT") <= 2 + counting.upper().count("EXISTS("), counting
