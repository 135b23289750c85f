"""Every box of a role home shows its first items and links to the whole list (issue 17).

The box size is made 2 here (``HOME_BOX_SIZE``), so that three or five cases
overflow it. Each home keeps the same number of queries whether the box overflows by
one case or by three.
"""

import pytest
from django.urls import reverse

from sparring.cases import home_views, services
from tests.conftest import application_data
from tests.unit.cases.test_case_views import assign, case_links, count_queries, submit_new


@pytest.fixture(autouse=True)
def small_boxes(monkeypatch):
    monkeypatch.setattr(home_views, "HOME_BOX_SIZE", 2)


def see_all_link(response, url):
    """The text of the box's link to ``url`` ("Näytä kaikki N tapausta": the user's language), or None."""
    html = response.content.decode()
    marker = f'<p class="more-link"><a href="{url}">'
    if marker not in html:
        return None
    return html.split(marker, 1)[1].split("</a>", 1)[0]


def test_applicant_home_shows_the_first_applications_and_links_to_all(
    applicant, open_call, client_for
):
    """Given three applications and a box of two, when the applicant opens their home,
    then two are listed (the newest) with a link to the case list naming all three;
    with five, the same number of queries."""
    cases = [
        services.case_create(actor=applicant, call=open_call, data=application_data())
        for _n in range(3)
    ]
    client = client_for(applicant)
    url = reverse("sparring:applicant_home")
    client.get(url)
    three, page = count_queries(client, url)

    assert case_links(page) == {cases[2].pk, cases[1].pk}
    assert see_all_link(page, reverse("sparring:case_list")) == "Näytä kaikki 3 tapausta"

    for _n in range(2):
        services.case_create(actor=applicant, call=open_call, data=application_data())
    five, page = count_queries(client, url)
    assert len(case_links(page)) == 2
    assert see_all_link(page, reverse("sparring:case_list")) == "Näytä kaikki 5 tapausta"
    assert five == three


def test_applicant_home_without_overflow_has_no_link(applicant, open_call, client_for):
    services.case_create(actor=applicant, call=open_call, data=application_data())
    page = client_for(applicant).get(reverse("sparring:applicant_home"))
    assert see_all_link(page, reverse("sparring:case_list")) is None


def test_coordinator_home_caps_the_inbox_and_the_queue(
    applicant, other_applicant, coordinator, open_call, client_for
):
    """Given three cases the coordinator has taken and three in the queue, with boxes of
    two, then each box lists two, the inbox links to its list and the queue to the
    queue page with the whole count; one more case in each, the same queries."""
    taken = []
    for owner in (applicant, other_applicant, applicant):
        case = submit_new(owner, open_call)
        services.case_take(actor=coordinator, case=case, version=case.version)
        taken.append(case)
    queued = [submit_new(owner, open_call) for owner in (applicant, other_applicant, applicant)]
    client = client_for(coordinator)
    url = reverse("sparring:coordinator_home")
    client.get(url)
    before, page = count_queries(client, url)

    links = case_links(page)
    assert len(links & {c.pk for c in taken}) == 2
    assert len(links & {c.pk for c in queued}) == 2
    assert see_all_link(page, reverse("sparring:coordinator_inbox")) == "Näytä kaikki 3 tapausta"
    assert "Koko jono (3 tapausta)" in page.content.decode()

    case = submit_new(other_applicant, open_call)
    services.case_take(actor=coordinator, case=case, version=case.version)
    submit_new(other_applicant, open_call)
    after, page = count_queries(client, url)
    assert len(case_links(page)) == 4
    assert see_all_link(page, reverse("sparring:coordinator_inbox")) == "Näytä kaikki 4 tapausta"
    assert after == before


def test_the_inbox_see_all_link_lists_exactly_the_cases_it_counts(
    applicant, other_applicant, coordinator, consultant, open_call, client_for
):
    """Given three cases the coordinator has taken that wait for a coordinator and one
    more of theirs offered to a consultant, the inbox box says "See all 3" and its link
    opens a list of those three, in the user's language, not the fourth (the link once
    opened "My cases", every open case of theirs: 5 167 under a box of 1 162 in the
    100 000-case programme)."""
    waiting = []
    for owner in (applicant, other_applicant, applicant):
        case = submit_new(owner, open_call)
        services.case_take(actor=coordinator, case=case, version=case.version)
        waiting.append(case)
    elsewhere = submit_new(other_applicant, open_call)
    services.case_take(actor=coordinator, case=elsewhere, version=elsewhere.version)
    elsewhere = assign(elsewhere, coordinator, consultant)
    assert elsewhere.handler_id == coordinator.pk

    client = client_for(coordinator)
    page = client.get(reverse("sparring:coordinator_home")).content.decode()
    marker = '<p class="more-link"><a href="'
    assert marker in page
    url, rest = page.split(marker, 1)[1].split('">', 1)
    assert rest.startswith("Näytä kaikki 3 tapausta")
    listed = client.get(url.replace("&amp;", "&"))
    assert listed.status_code == 200
    assert case_links(listed) == {case.pk for case in waiting}
    assert "3 sparrausta" in listed.content.decode()
    ordered = client.get(url.replace("&amp;", "&"), {"sort": "-waiting", "page": "x"})
    assert case_links(ordered) == {case.pk for case in waiting}
    # "My cases" still lists all four
    assert case_links(client.get(reverse("sparring:my_cases"))) == {
        *(case.pk for case in waiting),
        elsewhere.pk,
    }


def test_consultant_home_caps_the_assignments(
    applicant, other_applicant, coordinator, consultant, open_call, client_for
):
    """Given three assignments and a box of two, then two are listed with a link to the
    case list; with four, the same queries."""
    for owner in (applicant, other_applicant, applicant):
        assign(submit_new(owner, open_call), coordinator, consultant)
    client = client_for(consultant)
    url = reverse("sparring:consultant_home")
    client.get(url)
    before, page = count_queries(client, url)
    in_progress = reverse("sparring:case_list") + "?progress=open"
    assert len(case_links(page)) == 2
    assert see_all_link(page, in_progress) == "Näytä kaikki 3 tapausta"

    assign(submit_new(other_applicant, open_call), coordinator, consultant)
    after, page = count_queries(client, url)
    assert len(case_links(page)) == 2
    assert see_all_link(page, in_progress) == "Näytä kaikki 4 tapausta"
    assert after == before


def test_the_case_list_counts_up_to_its_cap(applicant, open_call, client_for, monkeypatch):
    """Given three applications and a count capped at two, the case list says "more
    than 2" (the count stops at the cap: issue 17); with two, the exact number."""
    from sparring.cases.selectors import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "CAP", 2)
    client = client_for(applicant)
    url = reverse("sparring:case_list")
    for _n in range(2):
        services.case_create(actor=applicant, call=open_call, data=application_data())
    two, page = count_queries(client, url)
    assert "2 sparrausta" in page.content.decode()
    services.case_create(actor=applicant, call=open_call, data=application_data())
    three, page = count_queries(client, url)
    assert "Yli 2 sparrausta" in page.content.decode()
    assert len(case_links(page)) == 3
    assert three == two


def test_the_last_page_of_a_capped_case_list_says_to_narrow_it(
    applicant, open_call, client_for, monkeypatch
):
    """Given more applications than the cap, the list's last page says that only the
    first ones are listed and how to see the others (it ended without a word); a list
    under the cap does not say it."""
    from sparring.cases.selectors import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "CAP", 2)
    client = client_for(applicant)
    url = reverse("sparring:case_list")
    for _n in range(2):
        services.case_create(actor=applicant, call=open_call, data=application_data())
    hint = "Vain 2 ensimmäistä sparrausta näytetään"
    assert hint not in client.get(url).content.decode()
    services.case_create(actor=applicant, call=open_call, data=application_data())
    page = client.get(url).content.decode()
    assert hint in page
    assert "rajaa hakua tai suodattimia" in page
    client.cookies["sparring_language"] = "sv"
    assert "Endast de 2 första ärendena visas" in client.get(url).content.decode()


def test_the_consultants_see_all_link_lists_exactly_the_assignments_it_counts(
    applicant, other_applicant, coordinator, consultant, open_call, client_for
):
    """Given three assignments in progress and one cancelled, the consultant's box says
    "See all 3" and its link opens a list of those three, not the cancelled one
    (the link once opened every case of the consultant's, finished ones included)."""
    from sparring.cases.services.closing import case_cancel
    from tests.unit.cases.test_case_views import fresh

    assigned = [
        assign(submit_new(owner, open_call), coordinator, consultant)
        for owner in (applicant, other_applicant, applicant)
    ]
    gone = assign(submit_new(other_applicant, open_call), coordinator, consultant)
    case_cancel(actor=coordinator, case=gone, reason="Ei tarvita", version=fresh(gone).version)

    client = client_for(consultant)
    page = client.get(reverse("sparring:consultant_home"))
    url = reverse("sparring:case_list") + "?progress=open"
    assert see_all_link(page, url) == "Näytä kaikki 3 tapausta"
    listed = client.get(url)
    assert listed.status_code == 200
    assert case_links(listed) == {case.pk for case in assigned}
    # and the finished ones on their own
    finished = client.get(reverse("sparring:case_list") + "?progress=finished")
    assert case_links(finished) == {gone.pk}
