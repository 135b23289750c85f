"""``api_selectors.steps_by_process`` reads each open step as (name, opened) from the
step's stored reference (session 9, issue 17) and gives what the old reader gave from
viewflow's ``Task`` objects (kept here as the reference), for every role's steps and
every step of the registry (the case detail's)."""

import pytest

from sparring.api import selectors as api_selectors
from sparring.cases.steps import STEPS, Actor
from sparring.models import Case
from tests.unit.api.test_late_and_task_lists import programme  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def old_steps_by_process(cases, steps) -> dict[int, list[tuple[str, object]]]:
    """The reader before session 9: the open tasks as ``Task`` objects."""
    result: dict[int, list] = {}
    process_ids = [case.process_id for case in cases if case.process_id]
    tasks = api_selectors.open_tasks(process_ids=process_ids, steps=steps)
    for task in tasks.order_by("created", "pk"):
        result.setdefault(task.process_id, []).append((task.flow_task.name, task.created))
    return result


@pytest.mark.parametrize(
    "role", [Actor.APPLICANT, Actor.COORDINATOR, Actor.CONSULTANT, "every step"]
)
def test_the_open_steps_are_those_the_tasks_gave(
    programme,  # noqa: F811
    role,
    django_assert_num_queries,
):
    steps = list(STEPS) if role == "every step" else api_selectors.steps_of(role)
    cases = list(Case.objects.exclude(process=None))
    assert len(cases) > 8
    expected = old_steps_by_process(cases, steps)
    assert expected
    with django_assert_num_queries(1):
        assert api_selectors.steps_by_process(cases, steps) == expected


def test_no_process_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert api_selectors.steps_by_process([Case()], list(STEPS)) == {}
