"""The concurrency benchmarks of issue 17 (race, call-offs, survey): their helpers, and each
command run end to end at a tiny size on a SQLite database of its own."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import requests
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest

from sparring.demo.bench import race
from sparring.demo.bench import survey as bench_survey
from sparring.surveys.forms import SurveyAnswerForm


def _response(status: int, *levels: int) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    if levels:
        storage = CookieStorage(HttpRequest())
        encoded = storage._encode([Message(level, "x") for level in levels])
        response.cookies.set(CookieStorage.cookie_name, encoded)
    return response


def test_the_winner_is_told_by_a_success_message_the_others_by_a_warning():
    assert race.outcome_of(_response(302, constants.SUCCESS)) == race.WON
    assert race.outcome_of(_response(302, constants.WARNING)) == race.REFUSED
    assert race.outcome_of(_response(400)) == race.REFUSED  # a form error: nothing saved
    assert race.outcome_of(_response(302)) == race.ERROR  # no message at all
    assert race.outcome_of(_response(500, constants.SUCCESS)) == race.ERROR
    assert race.outcome_of(None) == race.ERROR  # no answer


def test_lost_and_duplicated_answers_are_counted_from_their_texts():
    thanked = ["a", "b", "c"]
    assert bench_survey.lost_and_duplicated(thanked, Counter({"a": 1, "b": 1, "c": 1})) == (0, 0)
    assert bench_survey.lost_and_duplicated(thanked, Counter({"a": 1, "b": 3})) == (1, 2)


def test_the_benchmarks_answer_is_one_the_survey_form_accepts():
    form = SurveyAnswerForm(bench_survey.answer_form("token", "ABCD-EFGH-JKLM", "text", 7))
    assert form.is_valid(), form.errors


def test_each_command_runs_at_a_tiny_size_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
        "SPARRING_VAR_DIR": str(tmp_path),
        "REDIS_URL": "",
    }
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    commands = [
        ["migrate", "--noinput", "-v0"],
        ["bench_race", "--clients", "4", "--rounds", "1", "--singles", "1", "--threads", "4"],
        ["bench_calloffs", "--history", "30", "--parallel", "2", "--rounds", "1"],
        ["bench_survey", "--participants", "3", "--answers", "2", "--rounds", "1"],
    ]
    for command in commands:
        done = subprocess.run(
            [*manage, *command], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads((tmp_path / "bench" / "summary.json").read_text())["figures"]
    assert figures["race_winners"] == 1
    assert figures["race_server_errors"] == 0
    assert figures["race_p99_vs_single"] > 0
    assert figures["calloffs_parallel_ratio"] > 0
    assert figures["survey_vs_minimal"] > 0
    assert (figures["survey_lost"], figures["survey_duplicated"]) == (0, 0)
