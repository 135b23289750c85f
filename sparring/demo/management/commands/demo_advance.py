"""Move one demo case N days into its past, so that what waits for a later day is due now.

The product's clock (``sparring.clock``) is process-local: moving it in this
command would not move it in the running server. So the case's own record is
moved instead: every stored date and time of the case and of the records that
hang on it (days, offers, report, survey, timeline, …) and its flow's waiting
timers go back N days, and the timers now due fire at once. For the case it is
as if N days had passed; the rest of the product is untouched.

    python manage.py demo_advance SP-2026-0004 --days 14   # past the feedback period
    python manage.py demo_advance SP-2026-0004 --days 30   # a confirmed day is now past
    python manage.py demo_advance SP-2026-0004 --days 125  # closed: its follow-up is sent

For the demo only (refused with DEBUG off unless --force); the move is audited.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

from sparring.audit import AuditAction, audit_record
from sparring.models import Call, Case, Organisation
from sparring.outcomes.followup import follow_up_sweep
from workflow import timers

# Relations of a case that are not its own history.
NOT_OWN = (Call, Organisation)


def _date_fields(model) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.DateField | models.DateTimeField)
    ]


def _shift(queryset, delta: timedelta) -> int:
    """Move every date and time field of the rows of ``queryset`` back by ``delta``."""
    fields = _date_fields(queryset.model)
    moved = 0
    for row in queryset:
        changed = []
        for name in fields:
            value = getattr(row, name)
            if value is not None:
                setattr(row, name, value - delta)
                changed.append(name)
        if changed:
            type(row)._default_manager.filter(pk=row.pk).update(
                **{name: getattr(row, name) for name in changed}
            )
            moved += 1
    return moved


def _related_rows(instance, depth: int = 2):
    """Querysets of the records that hang on ``instance`` (reverse relations), two levels deep."""
    for relation in instance._meta.related_objects:
        model = relation.related_model
        if model in NOT_OWN or relation.many_to_many:
            continue
        queryset = model._default_manager.filter(**{relation.field.name: instance})
        yield queryset
        if depth > 1:
            for row in queryset:
                yield from _related_rows(row, depth - 1)


@transaction.atomic
def case_advance(case: Case, days: int) -> dict[str, int]:
    """Move ``case`` and its records ``days`` days back; returns counts of rows and timers.

    Raises ValueError for a non-positive ``days``.
    """
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    if days <= 0:
        raise ValueError("days must be positive")
    delta = timedelta(days=days)
    rows = _shift(Case.objects.filter(pk=case.pk), delta)
    for queryset in _related_rows(case):
        rows += _shift(queryset, delta)
    waiting = 0
    if case.process_id:
        for task in Task.objects.filter(
            process_id=case.process_id, status=STATUS.SCHEDULED, scheduled__isnull=False
        ):
            Task.objects.filter(pk=task.pk).update(scheduled=task.scheduled - delta)
            waiting += 1
    audit_record(
        actor=None,
        action=AuditAction.DEMO_ADVANCED,
        subject=case,
        case=case,
        data={"days": days, "rows": rows, "timers": waiting},
    )
    return {"rows": rows, "timers": waiting}


class Command(BaseCommand):
    help = (
        "Demo: move a case N days into its past (its dates, deadlines and timers), then fire "
        "the timers now due. E.g. past the 14-day feedback period, or past a confirmed day."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", help="the case's reference, e.g. SP-2026-0004")
        parser.add_argument("--days", type=int, default=14, help="how many days (default 14)")
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off")

    def handle(self, *, reference: str, days: int, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("demo_advance is for the demo; use --force to insist.")
        if days <= 0 or days > 3650:
            raise CommandError("--days must be between 1 and 3650.")
        case = Case.objects.filter(reference__iexact=reference.strip()).first()
        if case is None:
            raise CommandError(f"No case {reference}: the reference is on the case page.")
        before = case.get_status_display()
        moved = case_advance(case, days)
        fired = timers.fire_due_timers()
        followed = follow_up_sweep().total()
        case.refresh_from_db()
        self.stdout.write(
            self.style.SUCCESS(
                f"{case.reference}: {days} days moved back ({moved['rows']} records, "
                f"{moved['timers']} waiting timers); {fired} timers fired, "
                f"{followed} follow-up surveys moved. "
                f"Status: {before} -> {case.get_status_display()}."
            )
        )
