"""Two call-offs at the same moment on PostgreSQL never hand out the same last days of capacity."""

import threading

from django.core.exceptions import ValidationError
from django.db import connection

from procurement import calloff
from procurement.models import Offer
from sparring.cases import services
from tests.conftest import make_consultant
from tests.unit.procurement.test_calloff import approved_case


def test_concurrent_call_offs_respect_capacity(
    transactional_db, applicant, coordinator, open_call, agreement, supplier
):
    only = make_consultant("aino.a", supplier, capacity_total=2)
    first = approved_case(applicant, coordinator, open_call, days=2)
    second = approved_case(applicant, coordinator, open_call, days=2)
    barrier = threading.Barrier(2)
    outcomes = {}

    def call_off(case):
        try:
            barrier.wait(timeout=10)
            services.case_call_off(actor=coordinator, case=case, version=case.version)
            outcomes[case.pk] = "offered"
        except ValidationError:
            outcomes[case.pk] = "nobody eligible"
        finally:
            connection.close()

    threads = [threading.Thread(target=call_off, args=(case,)) for case in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == ["nobody eligible", "offered"]
    assert Offer.objects.filter(consultant=only.consultant).count() == 1
    assert calloff.committed_days([only.consultant.pk])[only.consultant.pk] == 2
