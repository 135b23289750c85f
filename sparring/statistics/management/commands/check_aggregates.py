"""Check the maintained aggregates against the records; ``--rebuild`` repairs them."""

from django.core.management.base import BaseCommand, CommandError

from sparring.statistics import aggregates, compare


class Command(BaseCommand):
    help = (
        "Recompute every maintained aggregate (per-case figures, consultants' loads) and "
        "every figure read from them (statistics, ledger, fairness, call-off counters) "
        "from the records and report the differences; exit 1 on any. --rebuild first "
        "rewrites all aggregates from the records."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild", action="store_true", help="rewrite every aggregate, then check"
        )

    def handle(self, *, rebuild: bool, **options):
        if rebuild:
            aggregates.rebuild()
            self.stdout.write("Rebuilt the aggregates from the records.")
        folded = aggregates.refresh()
        if folded:
            self.stdout.write(f"Folded in the queued changes of {folded} cases.")
        problems = aggregates.check() + compare.differences()
        for line in problems:
            self.stdout.write(line)
        if problems:
            raise CommandError(
                f"{len(problems)} differences between the aggregates and the records "
                "(repair: manage.py check_aggregates --rebuild)."
            )
        self.stdout.write(self.style.SUCCESS("The aggregates equal the records."))
