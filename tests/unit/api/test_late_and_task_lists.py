"""The task list and the late-cases lists paged from an index (issue 17) give what the
per-case rules gave before.

``/api/v1/tasks/``, ``/api/v1/late-cases/`` and ``/coordinator/late/`` used to compute a
value for every (open or visible) case and sort by it; they now page from the open flow
tasks and the open ``StepDeadline`` rows (``StepDeadline.finished``, the task's, copied by
``cases.deadline_triggers``). The old rules are kept here as the reference and compared on
a small programme: a case waiting at every step of every role, finished, withdrawn,
cancelled and rejected cases, late and not-late steps, two consultants and two
organisations.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from viewflow.workflow.models import Task

from sparring import access, clock
from sparring.api import selectors as api_selectors
from sparring.cases import deadline_triggers, selectors, services, states
from sparring.models import Case, StepDeadline
from tests.conftest import application_data, make_consultant
from tests.unit.cases.test_step_deadlines import WAITING

pytestmark = pytest.mark.django_db(transaction=True)


# -- the rules as they were (the reference) ------------------------------------------


def old_task_cases(user):
    """``api.selectors.task_cases`` before issue 17's paging: a subquery per visible case."""
    steps = api_selectors.steps_of(api_selectors.role_of(user))
    tasks = Task.objects.filter(
        api_selectors._steps_q(steps),
        process_id=OuterRef("process_id"),
        status__in=api_selectors.OPEN_TASK_STATUSES,
    )
    return (
        access.visible_cases(user)
        .filter(Exists(tasks))
        .annotate(waiting_since=Subquery(tasks.order_by("created").values("created")[:1]))
        .order_by("waiting_since", "pk")
    )


def old_late_cases(now):
    """``api.selectors.late_cases`` before: the earliest late open step of each open case,
    open read from the step's task."""
    late = StepDeadline.objects.filter(
        case=OuterRef("pk"), task__finished__isnull=True, due__lt=now
    ).order_by("due", "pk")
    return (
        Case.objects.filter(status__in=states.OPEN)
        .annotate(
            late_step=Subquery(late.values("step")[:1]),
            waiting_since=Subquery(late.values("since")[:1]),
            due=Subquery(late.values("due")[:1]),
        )
        .filter(due__isnull=False)
        .order_by("due", "pk")
    )


def old_open_step_deadlines():
    """``cases.selectors.open_step_deadlines`` before: open read from the step's task."""
    return StepDeadline.objects.filter(task__finished__isnull=True, case__status__in=states.OPEN)


# -- the programme ------------------------------------------------------------------


@pytest.fixture
def programme(
    applicant, other_applicant, open_call, coordinator, consultant, supplier, monkeypatch
):
    """A case at each waiting step (each with a consultant of its own from the offer on),
    one more of another organisation, and cases that finished, were withdrawn, cancelled
    and rejected; the steps opened on different days, some fell due long ago."""
    call_off = services.case_call_off
    monkeypatch.setattr(  # the consultant chosen, not the one the ranking proposes
        services,
        "case_call_off",
        lambda **kwargs: call_off(justification="Osaaminen", **kwargs),
    )
    consultants = [consultant] + [make_consultant(f"k{n}.konsultti", supplier) for n in range(10)]
    cases = {}

    def submitted(user=applicant):
        case = services.case_create(actor=user, call=open_call, data=application_data())
        return services.case_submit(actor=user, case=case, version=case.version)

    for n, (step, (arrive, _take, _party)) in enumerate(WAITING.items()):
        cases[step] = arrive(submitted(), coordinator, consultants[n], applicant)
    cases["other_organisation"] = submitted(other_applicant)
    arrive, take, _party = WAITING["close"]
    cases["closed"] = arrive(submitted(), coordinator, consultants[9], applicant)
    take(cases["closed"], coordinator, consultants[9], applicant)
    withdrawn = WAITING["offer"][0](submitted(), coordinator, consultants[1], applicant)
    withdrawn.refresh_from_db()
    services.case_withdraw(
        actor=applicant, case=withdrawn, reason="Ei tarvetta", version=withdrawn.version
    )
    cases["withdrawn"] = withdrawn
    cancelled = WAITING["deliver"][0](submitted(), coordinator, consultants[10], applicant)
    cancelled.refresh_from_db()
    services.case_cancel(
        actor=coordinator, case=cancelled, reason="Peruttu", version=cancelled.version
    )
    cases["cancelled"] = cancelled
    rejected = submitted()
    services.case_decide(
        actor=coordinator, case=rejected, decision="reject", comment="Ei", version=rejected.version
    )
    cases["rejected"] = rejected
    # Different opening moments and due dates: every third step opened long ago and fell
    # due, the others are recent and not due; ties on purpose for two of them.
    now = timezone.now()
    for n, deadline in enumerate(StepDeadline.objects.order_by("pk")):
        opened = now - timedelta(days=(40 - n) if n % 3 == 0 else 2, hours=n % 2)
        due = opened + timedelta(days=7 if n % 3 == 0 else 30)
        StepDeadline.objects.filter(pk=deadline.pk).update(since=opened, due=due)
        Task.objects.filter(pk=deadline.task_id).update(created=opened)
    return {"cases": cases, "consultants": consultants}


def rows_of(cases, *fields):
    return [(case.pk, *(getattr(case, f) for f in fields)) for case in cases]


def test_the_lists_give_what_the_old_rules_gave(
    programme, coordinator, applicant, other_applicant, steering
):
    cases = programme["cases"]
    users = [coordinator, applicant, other_applicant, steering, *programme["consultants"]]
    for user in users:
        new = rows_of(api_selectors.task_cases(user), "waiting_since")
        assert new == rows_of(old_task_cases(user), "waiting_since"), user.username
        # the count reads the open steps (and a consultant's open cases) alone
        assert api_selectors.task_cases(user).count() == len(new), user.username
        page = api_selectors.task_cases(user)[1:3]
        assert rows_of(page, "waiting_since") == new[1:3], user.username
    coordinator_tasks = list(api_selectors.task_cases(coordinator))
    assert len(coordinator_tasks) == 4  # review, call-off, close, the other organisation's review

    fields = ("late_step", "waiting_since", "due")
    for days in (0, 10, 40, 400):
        now = clock.now() + timedelta(days=days)
        new = [(d.case_id, *(getattr(d, f) for f in fields)) for d in api_selectors.late_cases(now)]
        assert new == rows_of(old_late_cases(now), *fields), days
    assert api_selectors.late_cases(clock.now() + timedelta(days=400)).count() == 10

    assert sorted(selectors.open_step_deadlines().values_list("pk", flat=True)) == sorted(
        old_open_step_deadlines().values_list("pk", flat=True)
    )
    stopped = {cases[name].pk for name in ("closed", "withdrawn", "cancelled", "rejected")}
    late_later = api_selectors.late_cases(clock.now() + timedelta(days=400))
    assert not stopped & {deadline.case_id for deadline in late_later}
    assert not stopped & set(selectors.open_step_deadlines().values_list("case_id", flat=True))
    # what the lists rely on instead of the old rules' per-case subqueries: a case waits at
    # one step at a time, and an ended case has no open step
    from django.db.models import Count

    assert not StepDeadline.objects.open().values("case").annotate(n=Count("pk")).filter(n__gt=1)
    open_steps = Task.objects.filter(
        status__in=api_selectors.OPEN_TASK_STATUSES, flow_task_type="FUNCTION"
    )
    assert not open_steps.values("process").annotate(n=Count("pk")).filter(n__gt=1)
    assert not StepDeadline.objects.open().exclude(case__status__in=states.OPEN).exists()
    # the coordinator's count reads the open steps alone: every flow process is a case's
    assert not open_steps.filter(process__case__isnull=True).exists()
    assert not open_steps.exclude(process__case__status__in=states.OPEN).exists()
    # every deadline's copy is its task's
    for deadline in StepDeadline.objects.select_related("task"):
        assert deadline.finished == deadline.task.finished, deadline.step


def test_a_withdrawn_or_cancelled_case_leaves_the_lists(
    submitted_case, applicant, coordinator, consultant, client_for
):
    from tests.unit.api.test_api import make_late, token_client

    other = services.case_submit(
        actor=applicant,
        case=services.case_create(
            actor=applicant, call=submitted_case.call, data=application_data()
        ),
        version=1,
    )
    for case in (submitted_case, other):
        make_late(case)
    api = token_client(coordinator)
    page = client_for(coordinator)

    def listed():
        return (
            {row["id"] for row in api.get("/api/v1/late-cases/").json()["results"]},
            {row["case"]["id"] for row in api.get("/api/v1/tasks/").json()["results"]},
            {
                pk
                for pk in (submitted_case.pk, other.pk)
                if f"/cases/{pk}/" in page.get("/coordinator/late/").content.decode()
            },
        )

    assert listed() == ({submitted_case.pk, other.pk},) * 3
    submitted_case.refresh_from_db()
    services.case_withdraw(
        actor=applicant, case=submitted_case, reason="Ei tarvetta", version=submitted_case.version
    )
    assert listed() == ({other.pk},) * 3
    other.refresh_from_db()
    services.case_cancel(actor=coordinator, case=other, reason="Peruttu", version=other.version)
    assert listed() == (set(),) * 3
    assert not StepDeadline.objects.open().exists()


# -- the copy of the task's finished ------------------------------------------------


def test_the_copy_follows_the_task_on_every_path(submitted_case):
    deadline = StepDeadline.objects.get(case=submitted_case)
    assert deadline.finished is None
    moment = timezone.now().replace(microsecond=0)
    # a bulk update (viewflow's own cancel, an administrator's undo) as well as a save
    Task.objects.filter(pk=deadline.task_id).update(finished=moment, status="CANCELED")
    deadline.refresh_from_db()
    assert deadline.finished == moment
    task = Task.objects.get(pk=deadline.task_id)
    task.finished, task.status = None, "NEW"
    task.save()
    deadline.refresh_from_db()
    assert deadline.finished is None
    # the row's own writes cannot set it otherwise: it is read from the task
    StepDeadline.objects.filter(pk=deadline.pk).update(finished=moment)
    deadline.refresh_from_db()
    assert deadline.finished is None
    Task.objects.filter(pk=deadline.task_id).update(finished=moment)
    stale = StepDeadline.objects.get(pk=deadline.pk)
    stale.finished = None
    stale.save()
    stale.refresh_from_db()
    assert stale.finished == moment


def test_the_migration_copies_every_row_in_one_statement(submitted_case, coordinator):
    from tests.unit.cases.test_case_flow import approve

    approve(submitted_case, coordinator)  # review done, call-off open
    deadline_triggers.uninstall(connection)
    try:
        StepDeadline.objects.update(finished=timezone.now())
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            deadline_triggers.backfill(connection)
        assert len(captured) == 1
    finally:
        deadline_triggers.install(connection)
    assert deadline_triggers.installed(connection) == deadline_triggers.expected(connection)
    by_step = {d.step: d for d in StepDeadline.objects.select_related("task")}
    assert by_step["review"].finished == by_step["review"].task.finished is not None
    assert by_step["call_off"].finished is None


# -- a constant number of queries ----------------------------------------------------


def test_the_task_list_of_each_role_runs_the_same_queries_for_one_or_five_cases(
    applicant, open_call, coordinator, consultant, supplier
):
    from tests.unit.api.test_api import queries, token_client
    from tests.unit.cases.test_case_flow import approve, offer_to

    clients = {
        "applicant": token_client(applicant),
        "coordinator": token_client(coordinator),
        "consultant": token_client(consultant),
    }

    def add(n):
        for _ in range(n):
            case = services.case_create(actor=applicant, call=open_call, data=application_data())
            case = services.case_submit(actor=applicant, case=case, version=case.version)
            approve(case, coordinator)
            offer_to(case, coordinator, consultant)
            waiting = services.case_create(actor=applicant, call=open_call, data=application_data())
            services.case_submit(actor=applicant, case=waiting, version=waiting.version)
            reviewed = services.case_create(
                actor=applicant, call=open_call, data=application_data()
            )
            reviewed = services.case_submit(
                actor=applicant, case=reviewed, version=reviewed.version
            )
            services.case_decide(
                actor=coordinator,
                case=reviewed,
                decision="return",
                comment="Tarkenna",
                version=reviewed.version,
            )

    def count_all():
        return {
            role: (queries(client, "/api/v1/tasks/"), client.get("/api/v1/tasks/").json()["count"])
            for role, client in clients.items()
        }

    add(1)
    one = count_all()
    add(2)
    three = count_all()
    assert {role: n for role, (n, _c) in one.items()} == {
        role: n for role, (n, _c) in three.items()
    }
    assert {role: c for role, (_n, c) in three.items()} == {
        "applicant": 3,
        "coordinator": 3,
        "consultant": 3,
    }
