"""Survey answers under load (``bench_survey``): participants with one-time codes, and a baseline.

Participants answer as the survey page's form does: each opens the survey page
once (its CSRF token), then POSTs answers (``step=answer``, its one-time code,
the grades, the texts and a fresh one-time ``submission_token``), one after the
other, 20 participants at once. The baseline is the smallest useful Django view
under the same middleware: it validates one posted value and inserts one row
(:func:`minimal_insert`, served only by the benchmark's server through
``sparring.demo.bench.survey_urls``). Each answer carries a unique text, so what
was stored can be matched with what was sent: lost (thanked but not stored) and
duplicated (stored twice) answers are counted.
"""

from __future__ import annotations

import html
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_POST

from sparring.models import Case
from sparring.surveys import services as surveys
from sparring.surveys.models import Survey, SurveyAnswer

from .flowcases import World, submitted_case

#: The baseline's table (made by :func:`ensure_minimal_table`, only in the benchmark database).
MINIMAL_TABLE = "bench_minimal_row"
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def ensure_minimal_table() -> None:
    """Create the baseline's one table when it is missing (PostgreSQL or SQLite)."""
    key = (
        "bigserial PRIMARY KEY"
        if connection.vendor == "postgresql"
        else "integer PRIMARY KEY AUTOINCREMENT"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MINIMAL_TABLE} (id {key}, value varchar(100) NOT NULL)"
        )


@login_not_required
@require_POST
def minimal_insert(request: HttpRequest) -> HttpResponse:
    """The baseline: validate the posted ``value`` (1–100 characters) and insert it as one row."""
    value = request.POST.get("value", "")
    if not 0 < len(value) <= 100:
        return HttpResponseBadRequest("value")
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {MINIMAL_TABLE} (value) VALUES (%s)", [value])  # noqa: S608 (a constant table name)
    return HttpResponse("ok", content_type="text/plain")


def minimal_stored(prefix: str) -> Counter:
    """How many times each value starting ``prefix`` is stored in the baseline's table."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {MINIMAL_TABLE} WHERE value LIKE %s", [f"{prefix}%"])  # noqa: S608
        return Counter(row[0] for row in cursor.fetchall())


def open_survey(w: World, n: int, codes: int) -> tuple[Survey, list[str]]:
    """A case of ``w`` in its feedback period with an open survey and ``codes`` one-time codes.

    The case is made and submitted through the services, then put in the feedback
    status directly (the report and its PDF are not what this benchmark measures);
    the survey is opened and the codes printed by the survey services (sheets of
    at most 150).
    """
    case = submitted_case(w, n)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.FEEDBACK)
    case.refresh_from_db()
    survey = surveys.survey_open(case=case)
    printed: list[str] = []
    while len(printed) < codes:
        count = min(surveys.MAX_CODES_PER_SHEET, codes - len(printed))
        printed += surveys.survey_issue_codes(actor=w.applicant, case=case, count=count)
    return survey, printed


def stored_answers(survey_ids: Sequence[int], prefix: str) -> Counter:
    """How many times each answer text starting ``prefix`` is stored in those surveys."""
    return Counter(
        SurveyAnswer.objects.filter(survey_id__in=survey_ids, best__startswith=prefix).values_list(
            "best", flat=True
        )
    )


@dataclass
class Sent:
    """What one phase sent: the texts thanked (status 200), other statuses, seconds per POST."""

    thanked: list[str] = field(default_factory=list)
    refused: Counter = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)


def csrf_session(base: str) -> tuple[requests.Session, str]:
    """A participant's browser: a session with the CSRF cookie and the token of the survey page."""
    client = requests.Session()
    page = client.get(f"{base}/survey/", timeout=60, headers={"Connection": "close"})
    token = _CSRF.search(page.text)
    if page.status_code != 200 or token is None:
        raise RuntimeError(f"The survey page answered {page.status_code} without a form.")
    return client, html.unescape(token.group(1))


def answer_form(token: str, code: str, text: str, n: int) -> dict:
    """The answer form's fields as a browser posts them (grades 1–5 from ``n``)."""
    grade = 1 + n % 5
    return {
        "csrfmiddlewaretoken": token,
        "step": "answer",
        "code": code,
        "overall": grade,
        "goal_reached": grade,
        "facilitation": 1 + (n + 1) % 5,
        "usefulness": grade,
        "best": text,
        "improve": "",
        "submission_token": str(uuid.uuid4()),
    }


def _post(client: requests.Session, url: str, data: dict) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        status = client.post(url, data=data, timeout=120, allow_redirects=False).status_code
    except requests.RequestException:
        status = 0
    return status, time.perf_counter() - started


def run_phase(
    base: str,
    participants: Sequence[tuple[requests.Session, str]],
    jobs: Sequence[Sequence[tuple[str, dict]]],
) -> tuple[float, Sent]:
    """Every participant sends its jobs ``(path, form)`` one after another, all participants at once.

    Returns (wall seconds from the common start to the last answer, what was sent).
    """
    sent = Sent()
    lock = threading.Lock()
    barrier = threading.Barrier(len(participants) + 1)

    def go(index: int) -> None:
        client, _token = participants[index]
        barrier.wait()
        for path, form in jobs[index]:
            status, seconds = _post(client, f"{base}{path}", form)
            with lock:
                sent.seconds.append(seconds)
                if status == 200:
                    sent.thanked.append(form.get("best") or form.get("value"))
                else:
                    sent.refused[status] += 1

    with ThreadPoolExecutor(max_workers=len(participants)) as pool:
        futures = [pool.submit(go, n) for n in range(len(participants))]
        barrier.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()
        wall = time.perf_counter() - started
    return wall, sent


def lost_and_duplicated(thanked: Sequence[str], stored: Counter) -> tuple[int, int]:
    """(answers thanked but not stored, extra copies stored of any answer)."""
    lost = sum(1 for text in set(thanked) if stored.get(text, 0) == 0)
    duplicated = sum(count - 1 for count in stored.values() if count > 1)
    return lost, duplicated


__all__ = [
    "Sent",
    "answer_form",
    "csrf_session",
    "ensure_minimal_table",
    "lost_and_duplicated",
    "minimal_insert",
    "minimal_stored",
    "open_survey",
    "run_phase",
    "stored_answers",
]
