"""The step registry covers the flow, and every action of the case page is fully declared."""

from pathlib import Path

from django.utils import translation
from viewflow.workflow import flow

from sparring.cases.steps import ACTIONS, STEPS, Actor, waiting
from sparring.notifications import MESSAGES
from workflow.flows import SparringFlow
from workflow.nodes import CeleryJob

TEMPLATE = Path(__file__).resolve().parents[3] / "templates" / "sparring" / "case_detail.html"
ROLES = {Actor.APPLICANT, Actor.COORDINATOR, Actor.CONSULTANT, Actor.PARTICIPANTS, Actor.SYSTEM}


def _waiting_nodes():
    """Every node where the case waits: people's steps, the PDF job and the feedback timer."""
    for node in SparringFlow.instance.nodes():
        if isinstance(node, flow.Handle | CeleryJob | flow.Timer) and not isinstance(
            node, flow.StartHandle
        ):
            yield node.name


def test_every_waiting_node_of_the_flow_has_a_step_and_no_step_is_made_up():
    nodes = set(_waiting_nodes())
    assert nodes == set(STEPS)


def test_each_step_says_who_acts_and_how():
    for step in STEPS.values():
        assert step.actor in ROLES, step.node
        assert step.waiting, step.node
        assert set(step.actions) <= set(ACTIONS), step.node
        if step.actor not in (Actor.SYSTEM, Actor.PARTICIPANTS):
            assert step.actions or step.page, f"{step.node}: no way to take the step"


def test_each_action_has_form_service_message_and_a_place_on_the_page():
    template = TEMPLATE.read_text()
    for key, action in ACTIONS.items():
        assert action.form is not None and callable(action.perform), key
        assert f"forms.{key}" in template, f"the case page does not show {key}"
        assert set(action.notifies) <= set(MESSAGES), key
        with translation.override("en"):
            english = str(action.success)
        for language in ("fi", "sv"):
            with translation.override(language):
                assert str(action.success) not in ("", english), (key, language)


def test_waiting_lists_the_open_steps_in_the_order_of_the_flow():
    assert [node for node, _actor, _text in waiting(["close", "review"])] == ["review", "close"]
    with translation.override("sv"):
        (_node, actor, text), *_rest = waiting(["render_report"])
        assert actor == Actor.SYSTEM
        assert str(text) != "The report's PDF is being made; the feedback survey opens with it."
