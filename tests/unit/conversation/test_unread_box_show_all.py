"""The homes' "new messages" box links to all of them (session 10, item 5): when more
cases have new messages than the box shows, it ends with a link to the case list
filtered to the cases with messages new to the reader (``?messages=new``), which lists
exactly those, for the applicant and the consultant alike."""

import re

import pytest

from sparring.conversation.models import CaseMessage
from sparring.conversation.templatetags import conversation_tags
from sparring.models import Case
from tests.unit.cases.test_case_views import case_links, submit_new

pytestmark = pytest.mark.django_db

ALL_LINK = re.compile(r'<a href="/cases/\?messages=new">([^<]+)</a>')


@pytest.fixture
def three_cases(applicant, coordinator, consultant, open_call):
    """Three cases of the applicant's organisation, the consultant on all of them; a new
    message from the coordinators to everyone on the first two."""
    cases = [submit_new(applicant, open_call) for _ in range(3)]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(consultant=consultant.consultant)
    for case in cases[:2]:
        CaseMessage.objects.create(
            case=case,
            author=coordinator,
            author_party="coordinators",
            audience="everyone",
            body="Uusi viesti",
        )
    return cases


@pytest.mark.parametrize("role", ["applicant", "consultant"])
def test_the_box_links_to_all_when_it_shows_fewer(role, three_cases, users_by_role, client_for):
    client = client_for(users_by_role[role])
    conversation_tags.SHOWN = 1
    try:
        html = client.get("/", follow=True).content.decode()
    finally:
        conversation_tags.SHOWN = 20

    box = html.split('id="unread-heading"', 1)[1].split("</section>", 1)[0]
    assert box.count("#conversation") == 1  # one case shown
    assert ALL_LINK.search(box), box
    assert ALL_LINK.search(box).group(1).strip() == "Kaikki asiat, joissa on uusia viestejä"


@pytest.mark.parametrize("role", ["applicant", "consultant"])
def test_no_link_when_the_box_shows_them_all(role, three_cases, users_by_role, client_for):
    html = client_for(users_by_role[role]).get("/", follow=True).content.decode()
    box = html.split('id="unread-heading"', 1)[1].split("</section>", 1)[0]
    assert box.count("#conversation") == 2
    assert not ALL_LINK.search(box)


@pytest.mark.parametrize("role", ["applicant", "consultant", "coordinator"])
def test_the_filtered_list_holds_the_cases_with_new_messages(
    role, three_cases, users_by_role, client_for
):
    page = client_for(users_by_role[role]).get("/cases/?messages=new")
    assert page.status_code == 200
    expected = set() if role == "coordinator" else {c.pk for c in three_cases[:2]}
    # the coordinator wrote them: nothing is new to them
    assert set(case_links(page)) == expected
