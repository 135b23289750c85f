"""Queue again the background work the database says is pending (what beat does every minute)."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from workflow import reconcile


class Command(BaseCommand):
    help = (
        "Queue again every pending background job (flow jobs, unsent e-mail, report PDFs). "
        "Safe to run at any time: every job is idempotent. Use --all after restoring a backup "
        "or restarting Redis empty."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            help="Queue everything pending now, however recent (no age threshold, no throttle).",
        )

    def handle(self, *args, **options):
        if options["all"]:
            zero = timedelta(0)
            result = reconcile.requeue_pending(
                scheduled_after=zero,
                started_after=zero,
                email_after=zero,
                report_after=zero,
                throttle=False,
            )
        else:
            result = reconcile.requeue_pending()
        self.stdout.write(
            f"Queued again: {result.jobs} jobs, {result.emails} e-mails, "
            f"{result.reports} report PDFs; not queued (broker down): {result.not_queued}"
        )
        if result.not_queued:
            raise SystemExit(1)
