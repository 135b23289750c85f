"""Schemathesis against the API's own OpenAPI document, for every role: each
operation gets generated requests (few per operation, so the suite stays fast);
no answer may be a 500, and every answer must match the document (status code,
content type, body schema). Runs on SQLite in ``make test`` as well as in CI."""

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, Phase, given, settings

from config.wsgi import application
from sparring.api.services import api_token_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.schemathesis]

EXAMPLES_PER_OPERATION = 6


@pytest.fixture
def world(reported_case, agreement, other_applicant, open_call):
    """A little of everything: a reported case (days, report PDF, survey), the ledger,
    a case of another organisation."""
    from tests.unit.test_api import submit

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

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=headers)

        run()


@pytest.fixture
def settings_rates(settings):
    settings.SPARRING_API_RATES = {"anon": "100000/minute", "user": "100000/minute"}
    cache.clear()
