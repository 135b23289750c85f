"""The maintained aggregates (CaseFigures, ConsultantLoad) stay equal to the records.

After the flow's own changes (approve, call-off, offer, days, report, survey,
withdrawal, rejection) and after random changes to every kind of row the figures
read (days held or cancelled, answers, surveys closed, statuses, offers declined,
expired or made, reports filed, prices, follow-ups, deletions): every figure from
the aggregates equals the same figure computed live (``compare.differences``) and
every stored row equals its recomputation (``aggregates.check``).
"""

import random
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext

from procurement import calloff
from procurement.models import Consultant, ConsultantLoad, Offer
from sparring import aggregates as hook
from sparring import clock
from sparring.demo.programme import Replay
from sparring.models import Case, SessionDay
from sparring.outcomes.models import FollowUp, FollowUpAnswer, FollowUpInvitation
from sparring.reports.models import Report
from sparring.statistics import aggregates, compare
from sparring.statistics import figures as statistics
from sparring.statistics.models import CaseFigures, FigureChange
from sparring.surveys.models import Survey, SurveyAnswer
from tests.unit.statistics.test_statistics_page import planned


@pytest.fixture
def programme(transactional_db, reference_data):
    """Four cases driven through the flow: two delivered, one rejected, one withdrawn."""
    Replay().run(
        [
            planned(811, when=date(2021, 9, 6)),
            planned(812, sector="transport", theme="digitalisation", when=date(2021, 10, 4)),
            planned(813, sector=None, outcome="rejected", when=date(2022, 1, 10)),
            planned(814, outcome="withdrawn", when=date(2022, 2, 7)),
        ]
    )


def assert_equal_to_the_records():
    assert compare.differences() == []
    assert aggregates.check() == []


def test_the_flow_keeps_the_aggregates_equal_to_the_records(programme):
    assert FigureChange.objects.count() == 0  # the replay folded its changes in
    assert CaseFigures.objects.count() == Case.objects.count()
    assert statistics.programme_figures()["accepted_applications"] == 2
    assert_equal_to_the_records()


def pick(rng, queryset):
    """One row of ``queryset`` chosen by ``rng`` (seeded: a failure can be replayed;
    ``order_by("?")`` asked the database for a random row that no seed repeats)."""
    keys = list(queryset.order_by("pk").values_list("pk", flat=True))
    return queryset.model.objects.get(pk=rng.choice(keys)) if keys else None


def _day(rng):
    day = pick(rng, SessionDay.objects)
    status = rng.choice(list(SessionDay.Status.values))
    SessionDay.objects.filter(pk=day.pk).update(status=status, date=day.date + timedelta(days=1))


def _answer(rng):
    survey = pick(rng, Survey.objects)
    SurveyAnswer.objects.create(survey=survey, overall=rng.randint(1, 5))


def _survey(rng):
    survey = pick(rng, Survey.objects)
    Survey.objects.filter(pk=survey.pk).update(
        closed=rng.random() < 0.5, closes_at=clock.now() + timedelta(days=rng.randint(-30, 30))
    )


def _status(rng):
    case = pick(rng, Case.objects.exclude(status=Case.Status.DRAFT))
    Case.objects.filter(pk=case.pk).update(status=rng.choice(list(Case.Status.values)))


def _offer(rng):
    case = pick(rng, Case.objects)
    offer = Offer.objects.filter(case=case).first()
    if offer is None:
        Offer.objects.create(
            case=case,
            consultant=pick(rng, Consultant.objects),
            deadline=clock.now() + timedelta(days=5),
        )
    else:
        Offer.objects.filter(pk=offer.pk).update(
            status=rng.choice([Offer.Status.OFFERED, Offer.Status.DECLINED, Offer.Status.EXPIRED])
        )


def _report(rng):
    report = pick(rng, Report.objects)
    Report.objects.filter(pk=report.pk).update(
        revision=rng.choice([0, 1, 2]),
        participants=rng.randint(1, 40),
        results=rng.choice(["Uusia ideoita ja yhteinen ymmärrys", "Ei mitään", ""]),
        follow_up=rng.choice(["- Kokeilu\n- Suunnitelma", ""]),
        submitted_at=clock.now() - timedelta(days=rng.randint(0, 90)),
    )


def _case_fields(rng):
    case = pick(rng, Case.objects.exclude(consultant=None))
    Case.objects.filter(pk=case.pk).update(
        approved_days=rng.choice([None, 1, 2, 3]),
        agreed_day_price=rng.choice([None, 900, 1250]),
        consultant=pick(rng, Consultant.objects),
    )


def _follow_up(rng):
    case = pick(rng, Case.objects.filter(status=Case.Status.CLOSED))
    if case is None:
        return
    follow_up, _new = FollowUp.objects.get_or_create(
        case=case, defaults={"closes_at": clock.now() + timedelta(days=30)}
    )
    role = rng.choice(list(FollowUpInvitation.Role.values))
    invitation, _new = FollowUpInvitation.objects.get_or_create(
        follow_up=follow_up, role=role, defaults={"token_digest": f"{rng.random():.12f}"}
    )
    if not FollowUpAnswer.objects.filter(follow_up=follow_up, role=role).exists():
        FollowUpAnswer.objects.create(
            follow_up=follow_up,
            role=role,
            impact=rng.randint(1, 5),
            recommend=rng.random() < 0.7,
            actions_done=[rng.choice(["yes", "partly", "no"]) for _ in range(rng.randint(0, 3))],
        )
        FollowUpInvitation.objects.filter(pk=invitation.pk).update(answered_at=clock.now())


def _delete(rng):
    kind = rng.choice([SessionDay, SurveyAnswer, Offer])
    row = pick(rng, kind.objects)
    if row is not None:
        try:
            row.delete()
        except ProtectedError:  # an offer with its call-off record
            pass


CHANGES = [
    _day,
    _answer,
    _answer,
    _survey,
    _status,
    _offer,
    _report,
    _case_fields,
    _follow_up,
    _delete,
]


def test_random_changes_keep_the_aggregates_equal_to_the_records(programme):
    rng = random.Random(17)
    queued = 0
    for _step in range(30):
        rng.choice(CHANGES)(rng)
        queued += FigureChange.objects.exists()  # the triggers queued the change
        assert_equal_to_the_records()
    assert queued >= 20


def test_several_changes_in_one_transaction_are_folded_in_at_once(programme):
    rng = random.Random(3)
    for change in CHANGES:
        change(rng)
    assert aggregates.refresh() >= 1
    assert not FigureChange.objects.exists()
    assert_equal_to_the_records()


def _figures_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        statistics.statistics()
    return len(queries)


def test_folding_in_changes_takes_the_same_queries_for_one_case_or_many(programme):
    survey = Survey.objects.order_by("pk").first()
    SurveyAnswer.objects.create(survey=survey, overall=4)
    one = _figures_queries()
    for survey in Survey.objects.all():
        SurveyAnswer.objects.create(survey=survey, overall=3)
    for day in SessionDay.objects.all():
        day.save()
    assert _figures_queries() == one


def test_nothing_queued_costs_one_statement_and_a_fold_in_a_bounded_number(programme):
    """Readers fold in first: with an empty queue that is one EXISTS and nothing else
    (no savepoint), so a page's count differs by a bounded number of statements
    (``FOLD_IN_QUERIES``) between an empty and a filled queue, never by the rows."""
    aggregates.refresh()
    with CaptureQueriesContext(connection) as empty:
        assert aggregates.refresh() == 0
    assert len(empty) == 1 and "statistics_figurechange" in empty.captured_queries[0]["sql"]
    empty_page = _figures_queries()
    for day in SessionDay.objects.all():
        day.save()
    with CaptureQueriesContext(connection) as filled:
        assert aggregates.refresh() >= 1
    assert 1 < len(filled) <= aggregates.FOLD_IN_QUERIES
    for day in SessionDay.objects.all():
        day.save()
    assert empty_page < _figures_queries() <= empty_page + aggregates.FOLD_IN_QUERIES


def test_the_calloff_counters_do_not_read_the_cases(programme):
    ids = list(Consultant.objects.values_list("pk", flat=True))
    case = Case.objects.exclude(consultant=None).first()
    agreement = Consultant.objects.get(pk=ids[0]).supplier.agreement
    with hook.reading():  # as a page: fold in once
        hook.refresh()
        with CaptureQueriesContext(connection) as queries:
            load = calloff.committed_days(ids)
            calloff.supplier_days(agreement)
    assert load == calloff.committed_days_live(ids)
    assert not any("sparring_case" in q["sql"] for q in queries.captured_queries)
    assert len(queries) == 2
    Case.objects.filter(pk=case.pk).update(status=Case.Status.WITHDRAWN)  # a queued change
    with CaptureQueriesContext(connection) as queries:
        days, _eur = hook.current_loads(ids)  # the call-off's: the queued case only
    assert days == calloff.committed_days_live(ids)
    assert len(queries) == 1


def test_random_queued_changes_leave_the_calloff_counters_equal_to_the_records(programme):
    """The call-off's counters (``current_loads``: the stored loads plus what the queued
    changes move) equal the records after every random change, nothing folded in."""
    rng = random.Random(11)
    ids = list(Consultant.objects.values_list("pk", flat=True))
    for _step in range(40):
        rng.choice(CHANGES)(rng)
        days, eur = hook.current_loads(ids)
        assert days == calloff.committed_days_live(ids)
        fresh = aggregates._loads_from(
            aggregates.case_rows(Case.objects.values_list("pk", flat=True)).values(), ids
        )
        live_eur = sum(
            fresh[pk][name]
            for pk in ids
            for name in ("committed_eur", "offered_eur", "stopped_eur")
        )
        assert eur == Decimal(live_eur).quantize(Decimal("0.01"))
    assert FigureChange.objects.exists()  # nothing was folded in
    assert_equal_to_the_records()


def test_check_aggregates_reports_a_difference_and_rebuild_repairs_it(programme):
    aggregates.refresh()
    CaseFigures.objects.filter(accepted=True).update(held_days=99)
    ConsultantLoad.objects.update(committed_days=0)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("check_aggregates", stdout=out)
    assert "held_days" in out.getvalue()
    assert "committed_days" in out.getvalue()
    out = StringIO()
    call_command("check_aggregates", "--rebuild", stdout=out)
    assert "equal the records" in out.getvalue()
    assert_equal_to_the_records()


@pytest.mark.django_db
def test_migrate_puts_back_triggers_a_table_rebuild_dropped():
    from django.apps import apps

    from sparring.statistics import triggers
    from sparring.statistics.apps import _reinstall_triggers

    assert triggers.installed(connection) == triggers.expected(connection)
    triggers.uninstall(connection)
    assert triggers.installed(connection) == 0
    _reinstall_triggers(sender=apps.get_app_config("statistics"), using="default")
    assert triggers.installed(connection) == triggers.expected(connection)


@pytest.mark.django_db(transaction=True)
def test_each_kind_of_change_through_the_services_keeps_the_aggregates_equal(
    submitted_case, coordinator, consultant, applicant, open_call
):
    from django.utils import timezone

    from sparring.cases import services
    from sparring.reports import services as report_services
    from tests.conftest import REPORT, application_data
    from tests.unit.cases.test_case_flow import approve, fresh, offer_to, walk_to_delivery

    def another_case():
        case = services.case_create(actor=applicant, call=open_call, data=application_data())
        return services.case_submit(actor=applicant, case=case, version=case.version)

    declined = submitted_case
    approve(declined, coordinator)  # approve
    assert_equal_to_the_records()
    offer = offer_to(declined, coordinator, consultant)  # call-off
    assert_equal_to_the_records()
    services.offer_answer(actor=consultant, offer=offer, accept=False, reason="Ei aikaa")
    assert_equal_to_the_records()  # offer declined
    services.case_cancel(
        actor=coordinator, case=fresh(declined), reason="Peruttu", version=fresh(declined).version
    )
    assert_equal_to_the_records()  # case cancelled

    expired = another_case()
    approve(expired, coordinator)
    offer_to(expired, coordinator, consultant)
    services.offer_expire(case=fresh(expired))
    assert_equal_to_the_records()  # offer expired

    withdrawn = another_case()
    services.case_withdraw(
        actor=applicant, case=fresh(withdrawn), reason="Muutos", version=fresh(withdrawn).version
    )
    assert_equal_to_the_records()  # withdrawn

    delivered = walk_to_delivery(another_case(), coordinator, consultant, applicant)
    assert_equal_to_the_records()  # offer accepted, days confirmed
    delivered.days_planned.update(date=timezone.localdate())
    for day in delivered.days_planned.all():
        services.session_day_record(actor=consultant, day=day, participants=10)
        assert_equal_to_the_records()  # day held
    report_services.report_submit(
        actor=consultant, case=fresh(delivered), data=REPORT, version=fresh(delivered).version
    )
    assert_equal_to_the_records()  # report filed
    for grade in (5, 4, 4, 5, 3):
        SurveyAnswer.objects.create(survey=fresh(delivered).survey, overall=grade)
    Survey.objects.filter(case=delivered).update(closed=True)
    assert_equal_to_the_records()  # survey closed
    assert statistics.programme_figures()["average_grade"] == 4.2


def test_loads_moved_by_difference_equal_the_sums_over_every_case(programme):
    """Issue 17: the fold-in moves each consultant's load by the difference of the cases it
    folds in; after varied changes (statuses, prices, days, consultants, offers, days
    held, deletions) every stored load equals ``load_rows``, the sum over all of the
    consultant's cases (the reference the fold-in used to run)."""
    rng = random.Random(29)
    ids = list(Consultant.objects.values_list("pk", flat=True))
    fields = list(ConsultantLoad.COUNTERS)
    for step in range(40):
        for _n in range(rng.randint(1, 3)):  # one change or several in a fold-in
            rng.choice([_status, _offer, _case_fields, _day, _delete, _offer, _case_fields])(rng)
        if step % 3 == 0:
            aggregates.refresh()
            stored = ConsultantLoad.objects.in_bulk(ids)
            reference = aggregates.load_rows(ids)
            for pk in ids:
                have = stored.get(pk) or ConsultantLoad(consultant_id=pk)
                want = reference[pk]
                assert [getattr(have, n) for n in fields] == [getattr(want, n) for n in fields]
    assert_equal_to_the_records()


def test_a_fold_in_reads_only_the_rows_of_its_cases(programme):
    """Issue 17: folding in one case's change sums nothing over the consultant's other
    cases (the call-off folds in under the agreement's lock: its cost must not grow
    with the programme)."""
    aggregates.refresh()
    case = Case.objects.exclude(consultant=None).order_by("pk").first()
    Case.objects.filter(pk=case.pk).update(status=Case.Status.WITHDRAWN)
    with CaptureQueriesContext(connection) as queries:
        assert aggregates.refresh() == 1
    summed = [
        q["sql"]
        for q in queries.captured_queries
        if "statistics_casefigures" in q["sql"] and "SUM(" in q["sql"].upper()
    ]
    assert summed == []
    assert_equal_to_the_records()


def test_a_fold_in_that_finds_the_queue_taken_returns_at_once(programme, monkeypatch):
    """Issue 17: when another fold-in took the queued changes while this one waited for
    their lock (EXISTS said yes, the locked read finds none), it stops there: no reads
    of the cases' rows, no writes (in a burst of call-offs this is under the lock)."""
    aggregates.refresh()
    monkeypatch.setattr(aggregates, "queued", lambda: True)  # as the EXISTS saw it
    with CaptureQueriesContext(connection) as queries:
        assert aggregates.refresh() == 0
    statements = [q["sql"] for q in queries.captured_queries]
    assert not any("statistics_casefigures" in sql for sql in statements), statements
    assert not any("procurement_consultantload" in sql for sql in statements), statements
    assert len(statements) <= 3, statements  # savepoint, the locked read, release
    assert_equal_to_the_records()
