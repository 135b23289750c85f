"""Migration 0004 (issue 13): answers keep their figures under random keys; old personal
tokens become hashed codes that still open the survey."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Avg

from sparring.surveys import services as surveys
from sparring.surveys.models import SurveyAnswer, SurveyCode, code_hash

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("surveys", "0003_survey_form_use")]
AFTER = [("surveys", "0004_anonymous_answers_and_hashed_codes")]


def test_answers_keep_their_figures_and_old_tokens_become_hashed_codes(reported_case):
    survey_pk = reported_case.survey.pk
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Link = old.get_model("surveys", "SurveyLink")
    Answer = old.get_model("surveys", "SurveyAnswer")
    Link.objects.create(survey_id=survey_pk, email="a@example.invalid", token="Abc-def_123")
    grades = [5, 4, 4, 3, 5, 5, 2]
    for grade in grades:
        Answer.objects.create(survey_id=survey_pk, overall=grade, best=f"g{grade}")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    answers = SurveyAnswer.objects.filter(survey_id=survey_pk)
    assert answers.count() == len(grades)
    assert answers.aggregate(a=Avg("overall"))["a"] == sum(grades) / len(grades)
    assert sorted(answers.values_list("best", flat=True)) == sorted(f"g{g}" for g in grades)
    assert all(isinstance(pk, uuid.UUID) for pk in answers.values_list("pk", flat=True))
    assert list(SurveyCode.objects.values_list("code_hash", flat=True)) == [
        code_hash("Abc-def_123")
    ]
    _survey, link = surveys.survey_check_code(code="Abc-def_123", client="x")
    assert link.email == "a@example.invalid"
