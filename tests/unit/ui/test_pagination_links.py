"""The lists' page links (session 10, item 1): a link to another page keeps every query
parameter of the page it is on, every value of each (a filter with several values), each
encoded (``QueryDict.urlencode``), so that a search such as ``a&b``, ``ä #x``, ``50%`` or
``c++`` is the same search on the next page; the current page is marked
``aria-current="page"``. The shared include (``includes/pagination.html``), the case list
and viewflow's lists all build their links this way."""

from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.paginator import Paginator
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test import RequestFactory

pytestmark = pytest.mark.django_db

# Odd values: the separators of a query string, a fragment, spaces, non-ASCII, an escape
# character, a plus (a space when decoded unencoded) and several values for one name.
# The names are none of the lists' filters, so that every list shows all its rows.
ODD = [
    ("term", "a&b"),
    ("term2", "ä #x"),
    ("pct", "50%"),
    ("plus", "c++ d"),
    ("eq", "x=y;z"),
    ("tag", "first"),
    ("tag", "second"),
    ("ä key&", "v"),
]


def odd_query() -> str:
    query = QueryDict(mutable=True)
    for key, value in ODD:
        query.appendlist(key, value)
    return query.urlencode()


def hrefs(html: str) -> dict[str, str]:
    """The page links of ``html`` by their text ("Previous", "Next"), HTML unescaped."""
    import re

    found = {}
    for href, text in re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', html):
        found[text.strip()] = unescape(href)
    return found


def params(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query, keep_blank_values=True)


def expected(page: int) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for key, value in ODD:
        values.setdefault(key, []).append(value)
    values["page"] = [str(page)]
    return values


def render_include(query_string: str, number: int = 2) -> str:
    request = RequestFactory().get("/somewhere/?" + query_string)
    page = Paginator(range(100), 10).get_page(number)
    return render_to_string("includes/pagination.html", {"page": page}, request=request)


def test_the_shared_links_keep_every_parameter_and_value_encoded():
    html = render_include(odd_query() + "&page=2")

    links = hrefs(html)
    assert set(links) >= {"Edellinen", "Seuraava"}
    assert params(links["Edellinen"]) == expected(1)
    assert params(links["Seuraava"]) == expected(3)
    assert "#" not in links["Seuraava"]  # the fragment sign is encoded, not a fragment


def test_the_current_page_is_marked_for_assistive_technology():
    html = render_include("q=x", number=3)
    assert html.count('aria-current="page"') == 1
    assert 'aria-current="page">Sivu 3 / 10' in html


def test_a_page_without_parameters_links_with_the_page_only():
    links = hrefs(render_include("", number=1))
    assert links["Seuraava"] == "?page=2"


def test_the_people_list_links_keep_the_odd_search(coordinator, applicant, steering, monkeypatch):
    """Through the client: a real list (one row a page) keeps the parameters it was given,
    the ones it does not know included."""
    from sparring.accounts import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    from django.test import Client

    client = Client()
    client.force_login(coordinator)

    html = client.get("/coordinator/people/?" + odd_query() + "&page=2").content.decode()

    links = hrefs(html.split('class="pagination"', 1)[1])
    assert params(links["Edellinen"]) == expected(1)
    assert params(links["Seuraava"]) == expected(3)


def test_the_case_list_links_keep_the_odd_search(
    coordinator, submitted_case, other_applicant, open_call, monkeypatch
):
    """The case list's own pages (a capped paginator) use the same links."""
    from django.test import Client

    from sparring.cases import selectors
    from tests.unit.cases.test_case_views import submit_new

    submit_new(other_applicant, open_call)
    submit_new(other_applicant, open_call)

    class OneAPage(selectors.CappedPaginator):
        def __init__(self, rows, per_page, **kwargs):
            super().__init__(rows, 1, **kwargs)

    monkeypatch.setattr(selectors, "CappedPaginator", OneAPage)
    client = Client()
    client.force_login(coordinator)

    html = client.get("/cases/?" + odd_query() + "&page=2").content.decode()

    nav = html.split('class="pagination"', 1)[1]
    links = hrefs(nav)
    assert params(links["Edellinen"]) == expected(1)
    assert params(links["Seuraava"]) == expected(3)
    assert 'aria-current="page">Sivu 2 / 3' in nav


def test_viewflow_list_links_keep_the_parameters():
    """viewflow's lists (the task inbox, the process list) page with the filters kept."""
    request = RequestFactory().get("/workflow/?" + odd_query())
    paginator = Paginator(range(100), 10)
    page = paginator.get_page(2)

    class View:
        page_kwarg = "page"

    html = render_to_string(
        "viewflow/includes/list_pagination.html",
        {"page_obj": page, "paginator": paginator, "view": View()},
        request=request,
    )

    import re

    links = [unescape(h) for h in re.findall(r'<a href="([^"]*)"', html)]
    assert [params(link) for link in links] == [expected(1), expected(3)]
    assert all(link.endswith("#pagination") for link in links)
