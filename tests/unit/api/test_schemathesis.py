"""Schemathesis against the API's own OpenAPI document, for every role: each
operation gets generated requests (few per operation, so the suite stays fast).
Schema-valid requests: no 5xx, and every answer matches the document (status
code, content type, body schema). Requests that break the document: no 5xx. Runs on SQLite in ``make test`` as well as in CI."""

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from config.wsgi import application
from sparring.api.services import api_token_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.schemathesis]

EXAMPLES_PER_OPERATION = 6
NEGATIVE_EXAMPLES_PER_OPERATION = 4


@pytest.fixture
def world(reported_case, agreement, other_applicant, open_call):
    """A little of everything: a reported case (days, report PDF, survey), the ledger,
    a case of another organisation."""
    from tests.unit.api.test_api import submit

    submit(other_applicant, open_call)
    return reported_case


@pytest.mark.parametrize(
    "role", ["anonymous", "applicant", "consultant", "coordinator", "steering"]
)
def test_every_operation_answers_as_documented(role, world, users_by_role, settings_rates):
    headers = {}
    if role != "anonymous":
        _token, key = api_token_create(actor=users_by_role[role], name="schemathesis")
        headers = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12

    for operation in operations:
        run_positive(operation, headers)
        run_negative(operation, headers)


HYPOTHESIS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}


def run_positive(operation, headers: dict) -> None:
    """Schema-valid requests: every default check (no 5xx, status, content type, body)."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        **HYPOTHESIS,
    )
    def run(case):
        case.call_and_validate(headers=headers)

    run()


def run_negative(operation, headers: dict) -> None:
    """Requests that break the document (wrong types, out-of-range values): never a 5xx."""

    @given(case=operation.as_strategy(GenerationMode.NEGATIVE))
    @settings(max_examples=NEGATIVE_EXAMPLES_PER_OPERATION, phases=[Phase.generate], **HYPOTHESIS)
    def run(case):
        response = case.call(headers=headers)
        assert response.status_code < 500, case.as_curl_command()

    try:
        run()
    except Unsatisfiable:
        pass  # nothing about this operation can be made invalid (no parameters, no body)


@pytest.fixture
def settings_rates(settings):
    settings.SPARRING_API_RATES = {"anon": "100000/minute", "user": "100000/minute"}
    cache.clear()
