"""The responsible coordinator (issue 14, item 3): take, hand to a named colleague (told by
e-mail in their language), release, each audited; "My cases"; the queue oldest first with
"waiting since", paging and sorting; handing several cases at once after a confirmation."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from sparring.cases import services
from sparring.cases.transitions import StaleCase
from sparring.models import AuditEvent, Case, OutboundEmail
from tests.conftest import make_user
from tests.unit.cases.test_case_flow import approve, fresh
from tests.unit.cases.test_case_views import case_links, count_queries, submit_new

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(db):
    return make_user("coordinator", "sanna.kollega", language="sv")


def test_take_hand_and_release_are_audited_and_the_colleague_is_told_in_their_language(
    submitted_case, coordinator, colleague
):
    case = services.case_take(actor=coordinator, case=submitted_case, version=None)
    assert fresh(case).handler == coordinator
    mail.outbox.clear()

    services.case_hand(
        actor=coordinator, case=fresh(case), to=colleague, note="Kiireellinen", version=None
    )

    assert fresh(case).handler == colleague
    handed = AuditEvent.objects.get(action="case_handed")
    assert handed.actor == coordinator and handed.case_id == case.pk
    assert handed.data == {"from": coordinator.pk, "to": colleague.pk}
    assert "Kiireellinen" in handed.comment
    message = OutboundEmail.objects.filter(to=colleague.email).latest("pk")
    assert message.language == "sv"
    assert case.reference in message.subject
    assert "Mina ärenden" in message.body_text or "ansvarig" in message.body_text

    services.case_release(actor=colleague, case=fresh(case), version=None)
    assert fresh(case).handler is None
    assert AuditEvent.objects.filter(action="case_released", actor=colleague).exists()


def test_only_active_coordinators_can_be_handed_a_case(
    submitted_case, coordinator, applicant, colleague
):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        services.case_hand(actor=coordinator, case=submitted_case, to=applicant, version=None)
    colleague.is_active = False
    colleague.save()
    with pytest.raises(ValidationError):
        services.case_hand(actor=coordinator, case=submitted_case, to=colleague, version=None)
    with pytest.raises(PermissionDenied):
        services.case_take(actor=applicant, case=submitted_case, version=None)
    assert fresh(submitted_case).handler is None


def test_a_stale_page_or_an_ended_case_is_refused(submitted_case, coordinator, colleague):
    stale = submitted_case.version
    services.case_take(actor=colleague, case=submitted_case, version=stale)
    with pytest.raises(StaleCase):
        services.case_hand(
            actor=coordinator, case=fresh(submitted_case), to=coordinator, version=stale
        )
    Case.objects.filter(pk=submitted_case.pk).update(status=Case.Status.CLOSED)
    with pytest.raises(StaleCase):
        services.case_take(actor=coordinator, case=fresh(submitted_case), version=None)


def test_a_case_can_be_taken_at_any_open_step_and_stays_under_my_cases(
    submitted_case, coordinator, client_for
):
    approve(submitted_case, coordinator)
    Case.objects.filter(pk=submitted_case.pk).update(status=Case.Status.DELIVERY)
    client = client_for(coordinator)
    page = client.get(reverse("sparring:case_detail", args=[submitted_case.pk]))
    assert "take" in page.context["forms"] and "hand" in page.context["forms"]
    response = client.post(
        reverse("sparring:case_action", args=[submitted_case.pk, "take"]),
        {"version": fresh(submitted_case).version},
    )
    assert response.status_code == 302
    mine = client.get(reverse("sparring:my_cases"))
    assert case_links(mine) == {submitted_case.pk}


def test_hand_over_from_the_case_page_with_a_form_error_for_no_colleague(
    submitted_case, coordinator, colleague, client_for
):
    client = client_for(coordinator)
    url = reverse("sparring:case_action", args=[submitted_case.pk, "hand"])
    refused = client.post(url, {"version": submitted_case.version, "to": ""})
    assert refused.status_code == 400 and refused.context["forms"]["hand"].errors
    done = client.post(url, {"version": submitted_case.version, "to": colleague.pk, "note": ""})
    assert done.status_code == 302
    assert fresh(submitted_case).handler == colleague
    assert case_links(client_for(colleague).get(reverse("sparring:my_cases"))) == {
        submitted_case.pk
    }


def _age(case, days):
    """The case's open steps opened ``days`` ago."""
    Task.objects.filter(process_id=case.process_id).update(
        created=timezone.now() - timedelta(days=days)
    )


def test_the_queue_is_oldest_first_with_waiting_since_and_sorts(
    submitted_case, applicant, open_call, coordinator, client_for
):
    newer = submit_new(applicant, open_call, unit="Ruokapalvelut")
    oldest = submit_new(applicant, open_call, unit="Siivous")
    _age(submitted_case, 5)
    _age(newer, 1)
    _age(oldest, 9)
    client = client_for(coordinator)
    page = client.get(reverse("sparring:case_queue"))
    assert [c.pk for c in page.context["cases"]] == [oldest.pk, submitted_case.pk, newer.pk]
    assert all(c.waiting_since for c in page.context["cases"])
    assert "Waiting since" in page.content.decode() or "Odottanut" in page.content.decode()
    newest_first = client.get(reverse("sparring:case_queue"), {"sort": "-waiting"})
    assert [c.pk for c in newest_first.context["cases"]] == [newer.pk, submitted_case.pk, oldest.pk]
    # an unknown order is the default, never an error
    odd = client.get(reverse("sparring:case_queue"), {"sort": "pk;drop", "page": "x"})
    assert odd.status_code == 200 and odd.context["cases"][0].pk == oldest.pk


def test_the_queue_pages(submitted_case, applicant, open_call, coordinator, client_for):
    from sparring.cases import list_views

    for _ in range(list_views.PAGE_SIZE):
        submit_new(applicant, open_call)
    client = client_for(coordinator)
    first = client.get(reverse("sparring:case_queue"))
    second = client.get(reverse("sparring:case_queue"), {"page": 2})
    assert len(first.context["cases"]) == list_views.PAGE_SIZE
    assert len(second.context["cases"]) == 1


@pytest.mark.parametrize(
    "url_name", ["sparring:case_queue", "sparring:my_cases", "sparring:coordinator_inbox"]
)
def test_the_lists_run_the_same_queries_for_one_or_six_cases(
    url_name, submitted_case, applicant, other_applicant, open_call, coordinator, client_for
):
    client = client_for(coordinator)
    take = url_name in ("sparring:my_cases", "sparring:coordinator_inbox")
    if take:
        services.case_take(actor=coordinator, case=submitted_case, version=None)
    url = reverse(url_name)
    client.get(url)
    one, page = count_queries(client, url)
    assert len(page.context["cases"]) == 1
    for n in range(5):
        case = submit_new(other_applicant if n % 2 else applicant, open_call, unit=f"Yksikkö {n}")
        if take:
            services.case_take(actor=coordinator, case=case, version=None)
    six, page = count_queries(client, url)
    assert len(page.context["cases"]) == 6
    assert six == one


def test_the_lists_are_for_coordinators_only(applicant, consultant, client_for):
    for user in (applicant, consultant):
        for name in ("sparring:case_queue", "sparring:my_cases", "sparring:coordinator_inbox"):
            assert client_for(user).get(reverse(name)).status_code == 403
        assert client_for(user).post(reverse("sparring:cases_hand_bulk")).status_code == 403


def test_handing_several_cases_asks_for_a_confirmation_first(
    submitted_case, applicant, open_call, coordinator, colleague, client_for
):
    second = submit_new(applicant, open_call, unit="Ruokapalvelut")
    client = client_for(coordinator)
    url = reverse("sparring:cases_hand_bulk")
    ask = client.post(url, {"cases": [submitted_case.pk, second.pk], "to": colleague.pk})
    assert ask.status_code == 200
    html = ask.content.decode()
    assert submitted_case.reference in html and second.reference in html
    assert fresh(submitted_case).handler is None  # nothing yet
    mail.outbox.clear()

    done = client.post(
        url,
        {
            "cases": [submitted_case.pk, second.pk],
            "to": colleague.pk,
            "confirmed": "yes",
            "next": reverse("sparring:case_queue"),
        },
    )

    assert done.status_code == 302 and done.url == reverse("sparring:case_queue")
    assert fresh(submitted_case).handler == colleague and fresh(second).handler == colleague
    assert AuditEvent.objects.filter(action="case_handed").count() == 2
    handed_mail = OutboundEmail.objects.filter(to=colleague.email, template="case_event")
    assert handed_mail.filter(subject__startswith="Ärendet").count() == 2


def test_bulk_hand_over_ignores_junk_and_unseen_cases(
    submitted_case, coordinator, colleague, client_for
):
    client = client_for(coordinator)
    url = reverse("sparring:cases_hand_bulk")
    nothing = client.post(url, {"cases": ["abc", "999999"], "to": colleague.pk, "confirmed": "yes"})
    assert nothing.status_code == 302
    no_one = client.post(url, {"cases": [submitted_case.pk], "to": "x", "confirmed": "yes"})
    assert no_one.status_code == 302
    outside = client.post(
        url,
        {
            "cases": [submitted_case.pk],
            "to": colleague.pk,
            "confirmed": "yes",
            "next": "https://evil.example/",
        },
    )
    assert outside.url == reverse("sparring:case_queue")
    assert fresh(submitted_case).handler == colleague
