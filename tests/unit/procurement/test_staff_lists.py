"""The staff lists under /staff/ keep a constant number of queries (issue 17).

The unavailable periods' list has a filter by consultant: its choices name each
consultant, which read the consultant's login one query each.
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from procurement.models import Unavailability
from tests.conftest import make_consultant

URLS = [
    "/staff/programme/unavailability/",
    "/staff/programme/consultant/",
    "/staff/programme/conflictofinterest/",
    "/staff/programme/supplier/",
]


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def add_consultants(supplier, first: int, count: int) -> None:
    for n in range(first, first + count):
        user = make_consultant(f"konsultti.{n}", supplier)
        Unavailability.objects.create(
            consultant=user.consultant,
            starts=date(2026, 1, 1) + timedelta(days=n),
            ends=date(2026, 1, 3) + timedelta(days=n),
        )


@pytest.mark.parametrize("url", URLS)
def test_staff_list_runs_the_same_queries_for_two_or_six_consultants(
    url, supplier, reference_data, coordinator, client_for
):
    add_consultants(supplier, 1, 2)
    client = client_for(coordinator)
    client.get(url)
    two = queries(client, url)
    add_consultants(supplier, 3, 4)
    six = queries(client, url)
    assert six == two
