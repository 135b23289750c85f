"""The survey disclosure rule against the attacks of issue 13: differencing two views.

Five answers, then a sixth from a known person: no view before, during or after
(the case page for each role, the statistics page and its export filtered every
way, the API) lets a reader tell what the sixth person answered.
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from sparring.cases import services
from sparring.models import Case
from sparring.statistics.figures import Scope, programme_figures
from sparring.surveys import disclosure
from sparring.surveys import services as surveys
from sparring.surveys.models import Survey, SurveyAnswer
from tests.conftest import application_data

pytestmark = pytest.mark.django_db(transaction=True)

FIVE = (5, 5, 5, 5, 4)  # 4.8
KNOWN = 2  # with it: 26 / 6 = 4.3
SECRETS = ("4,8", "4.8", "4,3", "4.3", "2,0", "2.0")


def give(survey, grade):
    SurveyAnswer.objects.create(survey=survey, overall=grade, best=f"Vastaajan-kommentti-{grade}")


def views(case, readers) -> dict[str, str]:
    """Everything a reader can look at that might carry the case's survey figures."""
    seen = {}
    for name, client in readers.items():
        seen[f"{name} case page"] = client.get(f"/cases/{case.pk}/").content.decode()
    coordinator = readers["coordinator"]
    today = timezone.localdate()
    for query in ("", f"?call={case.call_id}", f"?start={today - timedelta(days=30)}"):
        seen[f"statistics {query}"] = coordinator.get(f"/statistics/{query}").content.decode()
        sep = "&" if query else "?"
        seen[f"csv {query}"] = coordinator.get(
            f"/statistics/{query}{sep}format=csv"
        ).content.decode()
    seen["api"] = Client().get("/api/v1/statistics/").content.decode()
    return seen


#: a moment written on a page or in the CSV ("30.11.2026 14.35", "2026-11-30T14:35:02.04")
MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?"
    r"|\d{1,2}\.\d{1,2}\.\d{4}( (klo )?\d{1,2}[.:]\d{2})?"
)


def _stable(html: str) -> str:
    """The page without its per-request values (CSRF token, CSP nonce) and the moments it
    names (the CSV's "computed at" moves on when the views straddle a minute)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    html = MOMENT.sub("", html)
    return re.sub(r'nonce="[^"]*"', "", html)


def _survey_part(where: str, text: str) -> str:
    """On a case page, its survey section (elsewhere on the page a date or a time of day,
    such as 14.30, could contain "4.3" and fail the test by chance); other pages whole."""
    if "case page" not in where or 'id="survey-heading"' not in text:
        return text
    start = text.index('id="survey-heading"')
    part = text[start : text.find("</section>", start)]
    # the programme's average is made of other cases' closed units (whatever other tests
    # left in the database): not this survey's grade
    return re.sub(r'<p class="programme-average">.*?</p>', "", part, flags=re.S)


def grades_shown(seen: dict[str, str]) -> dict[str, list[str]]:
    """The secret grades found in each view. The pages and the CSV are Finnish, where a
    grade is written with a decimal comma ("4,3") while dates and times use dots ("14.30",
    "4.3.2027"): there only the comma forms are grades; in the API's JSON the dot forms."""
    found = {}
    for where, text in seen.items():
        part = _survey_part(where, text)
        # the API's JSON writes a grade with a dot; pages and CSV with a comma, and their
        # dots are dates and times ("computed 30.11.2026 14.35")
        secrets = SECRETS if where == "api" else [s for s in SECRETS if "," in s]
        found[where] = [s for s in secrets if s in part]
    return found


def test_differencing_five_answers_then_a_known_sixth_reveals_nothing(
    reported_case, applicant, consultant, coordinator, client_for
):
    readers = {
        role: client_for(user)
        for role, user in [
            ("applicant", applicant),
            ("consultant", consultant),
            ("coordinator", coordinator),
        ]
    }
    survey = reported_case.survey
    for grade in FIVE:
        give(survey, grade)
    after_five = views(reported_case, readers)
    give(survey, KNOWN)  # the known person answers
    after_six = views(reported_case, readers)

    # During the period no view shows any grade or comment, to any role.
    assert not any(grades_shown(after_five).values())
    assert not any(grades_shown(after_six).values())
    assert "Vastaajan-kommentti" not in "".join(after_five.values()) + "".join(after_six.values())
    # The two views differ only in the count of answers (5 → 6), never in a figure.
    for where in after_five:
        if "case page" not in where:
            assert _stable(after_five[where]) == _stable(after_six[where]), where
    for user in (applicant, consultant, coordinator):
        results = surveys.survey_results(user=user, case=reported_case)
        assert results.answers == 6 and results.overall is None and not results.texts

    Survey.objects.filter(pk=survey.pk).update(closed=True)
    closed = views(reported_case, readers)
    # Closed with six answers: the one figure anyone ever sees is that of all six.
    assert "4,3" in closed["applicant case page"] and "4,8" not in closed["applicant case page"]
    assert "4,3" in closed["coordinator case page"]
    # a grade is "4,8" on the Finnish pages and in the CSV, "4.8" only in the API's JSON
    # (elsewhere a dot is a date or a time: "24.8.2027", "14.08")
    assert not any(
        "4,8" in text or ("4.8" in text and "api" in where.lower())
        for where, text in closed.items()
    )
    texts = surveys.survey_results(user=applicant, case=reported_case).texts
    assert texts == sorted(texts) and len(texts) == 6


def test_a_closed_survey_of_fewer_than_five_answers_is_shown_to_no_one(
    reported_case, applicant, coordinator, client_for
):
    for grade in (5, 3, 4, 4):
        give(reported_case.survey, grade)
    Survey.objects.filter(case=reported_case).update(closed=True)
    for user in (applicant, coordinator):
        results = surveys.survey_results(user=user, case=reported_case)
        assert results.answers == 4 and results.overall is None and results.texts == []
        page = client_for(user).get(f"/cases/{reported_case.pk}/").content.decode()
        assert "Vastaajan-kommentti" not in page and "4,0" not in page
    assert programme_figures()["average_grade"] is None


def _closed_case(applicant, call, grades, submitted_days_ago):
    """An accepted case whose survey has closed with ``grades``."""
    case = services.case_create(actor=applicant, call=call, data=application_data())
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED,
        approved_days=1,
        submitted_at=timezone.now() - timedelta(days=submitted_days_ago),
    )
    survey = Survey.objects.create(case=case, closes_at=timezone.now(), closed=True)
    for grade in grades:
        give(survey, grade)
    return case


def test_statistics_filtered_to_differ_by_one_small_case_show_the_same_figures(
    applicant, open_call
):
    """Scopes that differ by a case of one answer: the same figures (it is in neither)."""
    _closed_case(applicant, open_call, FIVE, submitted_days_ago=20)
    _closed_case(applicant, open_call, [1], submitted_days_ago=5)
    today = timezone.localdate()
    wide = programme_figures(Scope(start=today - timedelta(days=30)))
    narrow = programme_figures(
        Scope(start=today - timedelta(days=30), end=today - timedelta(days=10))
    )
    whole = programme_figures(Scope(call=open_call))
    assert wide["average_grade"] == narrow["average_grade"] == whole["average_grade"] == 4.8
    assert wide["answers"] == narrow["answers"] == whole["answers"] == 5


def test_a_calls_small_surveys_count_pooled_once_the_call_has_ended(applicant, open_call):
    """Four cases of four answers: in no figure while the call runs; once it has
    ended, pooled (16 answers), in the whole-call figures only."""
    for days_ago in (1, 2, 3, 4):
        _closed_case(applicant, open_call, [5, 4, 4, 4], submitted_days_ago=days_ago)
    assert programme_figures()["answers"] == 0
    open_call.delivery_ends = timezone.localdate() - timedelta(days=1)
    open_call.save()
    assert programme_figures()["answers"] == 16
    assert programme_figures()["average_grade"] == 4.3
    assert programme_figures(Scope(start=timezone.localdate()))["answers"] == 0
    assert disclosure.released(Case.objects.all(), whole_calls=False).answers == 0
