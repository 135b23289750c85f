"""The API's case and task lists and the invoicing basis, paged from indexes (issue 17),
give what they gave before, for every role, with a fixed number of queries.

``/api/v1/cases/`` used to count and sort ``visible_cases(user)`` (a consultant's: an
OR of "assigned" and "an open offer", which PostgreSQL could only answer by reading
every case); it now pages the ids of each condition's cases, united
(``api.selectors.case_ids``), and loads a page's rows by id. ``/api/v1/tasks/`` matched
the steps' tasks by the ending of ``flow_task``; it now compares the exact values. The
invoicing basis reads only the columns a row shows. The old forms are kept here as the
reference and compared on the programme of ``test_late_and_task_lists``.
"""

from datetime import timedelta
from functools import reduce
from operator import or_

import pytest
from django.db.models import F, Q
from django.utils import timezone, translation

from procurement import reports
from procurement.models import Offer
from sparring import access
from sparring.api import selectors as api_selectors
from sparring.cases import selectors, services
from sparring.models import Case
from tests.conftest import application_data
from tests.unit.api.test_api import queries, token_client
from tests.unit.api.test_late_and_task_lists import programme  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


# -- the rules as they were (the reference) ------------------------------------------


def old_case_list(user, status=None):
    """``CaseList.get_queryset`` before: the rows of ``visible_cases(user)``, newest first."""
    cases = selectors.case_list(access.visible_cases(user))
    return cases.filter(status=status) if status else cases


def old_task_cases(user):
    """``api.selectors.task_cases`` before: steps matched by the ending of ``flow_task``,
    the cases scoped by ``visible_cases``."""
    steps = api_selectors.steps_of(api_selectors.role_of(user))
    task = "process__task__"
    by_ending = reduce(
        or_, (Q(**{f"{task}flow_task__endswith": f".{step}"}) for step in steps), Q(pk__in=[])
    )
    open_step = by_ending & Q(
        **{
            f"{task}status__in": api_selectors.OPEN_TASK_STATUSES,
            f"{task}flow_task_type": "FUNCTION",
        }
    )
    return (
        access.visible_cases(user)
        .filter(open_step)
        .only("pk", "process_id")
        .annotate(waiting_since=F(f"{task}created"))
        .order_by("waiting_since", "pk")
    )


def old_visible_cases(user):
    """``access.visible_cases`` before ``visible_case_terms``."""
    from django.db.models import Exists, OuterRef

    if access.is_coordinator(user):
        return Case.objects.all()
    if access.is_applicant(user):
        return Case.objects.filter(organisation_id=user.organisation_id)
    if access.is_consultant(user):
        offered = Offer.objects.filter(
            case=OuterRef("pk"), consultant=user.consultant, status=Offer.Status.OFFERED
        )
        return Case.objects.filter(Exists(offered) | Q(consultant=user.consultant))
    return Case.objects.none()


# -- the comparisons ----------------------------------------------------------------


def test_the_case_and_task_lists_give_what_the_old_queries_gave(
    programme,  # noqa: F811
    coordinator,
    applicant,
    other_applicant,
    steering,
):
    cases = programme["cases"]
    consultants = programme["consultants"]
    # a consultant with a case assigned and an open offer on the same case (listed once)
    assigned = Case.objects.filter(consultant__isnull=False).exclude(offers__status="offered")
    both = assigned.order_by("pk").first()
    Offer.objects.create(
        case=both, consultant=both.consultant, status=Offer.Status.OFFERED, deadline=timezone.now()
    )
    # and a case offered to a consultant who is assigned another (listed with theirs)
    elsewhere = Case.objects.filter(consultant__isnull=True).exclude(offers__status="offered")
    offered = elsewhere.order_by("pk").first()
    Offer.objects.create(
        case=offered,
        consultant=both.consultant,
        status=Offer.Status.OFFERED,
        deadline=timezone.now(),
    )
    # the old date ties: two cases created at the same moment (ordered by id)
    moment = timezone.now() - timedelta(days=3)
    Case.objects.filter(pk__in=[cases["review"].pk, cases["closed"].pk]).update(created=moment)

    users = [coordinator, applicant, other_applicant, steering, *consultants]
    statuses = [None, *sorted(set(Case.objects.values_list("status", flat=True)))]
    seen = set()
    for user in users:
        assert list(access.visible_cases(user).order_by("pk")) == list(
            old_visible_cases(user).order_by("pk")
        ), user.username
        for status in statuses:
            old = list(old_case_list(user, status).values_list("pk", flat=True))
            new = api_selectors.case_ids(user, status=status)
            assert [case.pk for case in new] == old, (user.username, status)
            assert new.count() == len(old), (user.username, status)
            seen.update(old)
        new_tasks = [(c.pk, c.waiting_since) for c in api_selectors.task_cases(user)]
        assert new_tasks == [(c.pk, c.waiting_since) for c in old_task_cases(user)], user
        assert api_selectors.task_cases(user).count() == len(new_tasks)
    assert seen == set(Case.objects.values_list("pk", flat=True))
    own = [case.pk for case in api_selectors.case_ids(both.consultant.user)]
    assert own.count(both.pk) == 1 and offered.pk in own
    assert api_selectors.task_cases(coordinator).count() == 4


def test_the_api_lists_the_same_rows_and_labels_for_every_role(
    programme,  # noqa: F811
    coordinator,
    applicant,
    steering,
):
    users = [coordinator, applicant, steering, *programme["consultants"][:3]]
    for user in users:
        api = token_client(user)
        for language in ("fi", "sv", "en"):
            body = api.get(f"/api/v1/cases/?page_size=200&language={language}").json()
            old = list(old_case_list(user))
            assert body["count"] == len(old)
            assert [row["id"] for row in body["results"]] == [case.pk for case in old]
            with translation.override(language):
                labels = [case.get_status_display() for case in old]
            assert [row["status_label"] for row in body["results"]] == labels
        submitted = api.get("/api/v1/cases/?status=submitted").json()
        assert [row["id"] for row in submitted["results"]] == [
            case.pk for case in old_case_list(user, "submitted")
        ]
        tasks = api.get("/api/v1/tasks/").json()
        assert [row["case"]["id"] for row in tasks["results"]] == [
            case.pk for case in old_task_cases(user)
        ]
    # paging: the second page continues the first
    api = token_client(coordinator)
    first = api.get("/api/v1/cases/?page_size=5").json()
    second = api.get("/api/v1/cases/?page_size=5&page=2").json()
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert ids == [case.pk for case in old_case_list(coordinator)][:10]


# -- a constant number of queries ----------------------------------------------------


def test_the_case_list_of_each_role_runs_the_same_queries_for_one_or_three_cases(
    applicant, open_call, coordinator, consultant
):
    from tests.unit.cases.test_case_flow import approve, offer_to

    clients = {
        "applicant": token_client(applicant),
        "coordinator": token_client(coordinator),
        "consultant": token_client(consultant),
    }

    def add():
        case = services.case_create(actor=applicant, call=open_call, data=application_data())
        case = services.case_submit(actor=applicant, case=case, version=case.version)
        approve(case, coordinator)
        offer_to(case, coordinator, consultant)

    def count_all():
        return {
            (role, path): queries(client, path)
            for role, client in clients.items()
            for path in ("/api/v1/cases/", "/api/v1/cases/?status=submitted")
        }

    add()
    one = count_all()
    add()
    add()
    assert one == count_all()
    assert clients["consultant"].get("/api/v1/cases/").json()["count"] == 3


def test_the_invoicing_basis_reads_the_same_rows_with_the_same_queries(
    applicant, coordinator, open_call, agreement, supplier, client_for
):
    from procurement.report_views import _invoicing_row
    from sparring.models import SessionDay
    from tests.conftest import make_consultant
    from tests.unit.procurement.test_procurement_reports import delivered_case

    month = timezone.localdate().replace(day=1)
    page = client_for(coordinator)
    api = token_client(coordinator)
    paths = [
        f"/procurement/invoicing/?month={month:%Y-%m}",
        f"/api/v1/invoicing/?month={month:%Y-%m}",
    ]

    def old_rows():
        after = (month + timedelta(days=32)).replace(day=1)
        return SessionDay.objects.filter(
            case__consultant__supplier__agreement=agreement,
            status=SessionDay.Status.HELD,
            date__gte=month,
            date__lt=after,
        ).order_by("case__consultant__supplier__ranking_position", "date", "pk")

    delivered_case(applicant, coordinator, open_call, make_consultant("kalle.k", supplier), held=1)
    one = [queries(page, paths[0]), queries(api, paths[1])]
    delivered_case(applicant, coordinator, open_call, make_consultant("ville.v", supplier), held=2)
    assert [queries(page, paths[0]), queries(api, paths[1])] == one

    new = reports.invoicing_rows(agreement, month)
    for language in ("fi", "sv"):
        with translation.override(language):
            assert [_invoicing_row(day) for day in new] == [
                _invoicing_row(day) for day in old_rows()
            ]
    assert len(new) == 3
    assert reports.invoicing_total_live(new) == reports.invoicing_total_live(old_rows())
    assert reports.invoicing_total(agreement, month) == reports.invoicing_total_live(old_rows())
    # a page's ids first, then its rows: the old query's slices
    pages = reports.InvoicingPages(new)
    assert pages.count() == 3
    for start in range(4):
        assert [d.pk for d in pages[start : start + 2]] == [
            d.pk for d in old_rows()[start : start + 2]
        ]
    assert pages[1].pk == old_rows()[1].pk
    rows = api.get(paths[1]).json()["results"]
    assert [row["day_id"] for row in rows] == [day.pk for day in old_rows()]
    assert [row["consultant"] for row in rows] == [str(day.case.consultant) for day in old_rows()]
